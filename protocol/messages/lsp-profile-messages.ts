/**
 * The editor's profiling requests (*Crew: Profile Workers*, *Crew: Heap Snapshot*): the
 * master takes the profiles from its workers (server/api/profile.ts) and sends them back, so
 * the editor writes the files where it runs, whichever host the master is on.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { CpuProfile } from './profile-messages';

export interface ProfileWorkersParams {
  /** How long to sample, in milliseconds. */
  ms: number;
  /** Worker ids; every ready worker when absent. */
  workers?: string[];
}

export interface ProfileWorkersResult {
  /** Each worker's `.cpuprofile`, by worker id. */
  profiles: Record<string, CpuProfile>;
  /** One `.cpuprofile` across them: a node per worker under the root. */
  merged: CpuProfile;
}

export interface HeapSnapshotParams {
  worker: string;
}

export interface HeapSnapshotResult {
  worker: string;
  /** The `.heapsnapshot` text, as V8 wrote it. */
  snapshot: string;
}

/** CPU profiles of the workers' eval threads over `ms`, frames mapped to the user's files. */
export namespace ProfileWorkers {
  export const method = 'crew/profileWorkers';
  export const type = new RequestType<ProfileWorkersParams, ProfileWorkersResult, void>(method);
}

/**
 * Ends the profiles `crew/profileWorkers` is taking for this editor now: that request then
 * answers with what they hold (a profile "until stopped" asks for the longest `ms`).
 */
export namespace ProfileWorkersStop {
  export const method = 'crew/profileStop';
  export const type = new RequestType<Record<string, never>, { stopped: boolean }, void>(method);
}

/** A heap snapshot of one worker's eval thread. */
export namespace HeapSnapshot {
  export const method = 'crew/heapSnapshot';
  export const type = new RequestType<HeapSnapshotParams, HeapSnapshotResult, void>(method);
}
