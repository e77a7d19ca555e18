/**
 * Profiling a worker's eval thread, declared here once:
 *
 * - server/api/profile.ts (the master) sends {@link ProfileAsk} to each worker it profiles,
 *   and server/api/profile-requests.ts waits for the {@link ProfileAnswer} from that very link;
 * - worker/debug/profiler.ts (the worker's main thread) opens an inspector session of its
 *   own to the eval thread, so a profile is taken while a task runs and while the Crew
 *   Debugger or VS Code's debugger is attached, and answers with the profile's JSON text:
 *   a CPU profile's frames mapped to the user's files (worker/debug/profile-frames.ts), or a
 *   heap snapshot as V8 wrote it.
 */
import { bool, intFrom, num, optional, str, variant, type Infer } from './field-checks';
import { message, type MessageOf, type SentBy } from './link-message';

/** The longest CPU profile a worker takes in one go (10 minutes). */
export const MAX_PROFILE_MS = 600_000;

/**
 * What is asked: `cpu`, sampling the eval thread for `ms` at `intervalUs` (V8's default
 * when absent); `heap`, a snapshot of the eval thread's heap.
 */
const profileKind = variant('kind', {
  cpu: { ms: intFrom(1), intervalUs: optional(intFrom(1)) },
  heap: {},
});
export type ProfileKind = Infer<typeof profileKind>;

/** A call frame as CDP's Profiler reports it (lines and columns 0-based). */
export interface ProfileCallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** One node of a `.cpuprofile`. */
export interface ProfileNode {
  id: number;
  callFrame: ProfileCallFrame;
  hitCount?: number;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
  /** Index into `$vscode.locations`. */
  locationId?: number;
  /** Whose frame it is: the user's code, or Crew's runtime; absent for Node's and V8's. */
  crew?: 'user' | 'runtime';
}

/** A `.cpuprofile`: CDP's `Profiler.Profile`, with VS Code's annotations. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
  $vscode?: { rootPath?: string; locations: ProfileLocation[] };
}

/** Where a frame is in the user's source, as VS Code's profile viewer opens it. */
export interface ProfileLocation {
  callFrame: ProfileCallFrame;
  locations: { lineNumber: number; columnNumber: number; source: { name: string; path: string; sourceReference: 0 } }[];
}

export namespace ProfileAsk {
  /** master -> worker: profile the eval thread and answer `reqId`. */
  export const type = message('profileAsk', 'master', { reqId: num, what: profileKind });
  export type Msg = MessageOf<typeof type>;
}
export namespace ProfileStop {
  /** master -> worker: end CPU profile `reqId` now, before its `ms`, and answer with what it has. */
  export const type = message('profileStop', 'master', { reqId: num });
  export type Msg = MessageOf<typeof type>;
}
export namespace ProfileAnswer {
  /**
   * worker -> master: the profile as JSON text (`.cpuprofile` or `.heapsnapshot`), or
   * `message` and Crew's `code` saying why there is none.
   */
  export const type = message('profileAnswer', 'worker', {
    reqId: num,
    ok: bool,
    data: optional(str),
    message: optional(str),
    code: optional(str),
  });
  export type Msg = MessageOf<typeof type>;
}

/** This file's messages, for the link's table. */
export const profileMessageTypes = [ProfileAsk.type, ProfileStop.type, ProfileAnswer.type] as const;
type Profile = (typeof profileMessageTypes)[number];

export type ProfileToWorker = SentBy<Profile, 'master'>;
export type ProfileToMaster = SentBy<Profile, 'worker'>;
