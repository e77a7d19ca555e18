/**
 * Messages on the master <-> worker link, declared once and imported by both ends.
 *
 * Before authentication only the JSON handshake messages in `handshake.ts` are accepted.
 * After it, every frame is one binary {@link LinkMessage} encoded by `codec.ts`, and checked
 * against `worker-link-guards.ts` before a handler sees it.
 */
import type { CdpToMaster, CdpToWorker } from './cdp-messages';
import type { DebugToMaster, DebugToWorker } from './debug-messages';
import type { AgentMsg, AgentSpawnSpec } from './agent-messages';
import type { RemoteErrorData } from '../errors';
import type { SlurmPlacement, WorkerLoad } from '../worker-summary';

/** The protocol version both ends must agree on in the handshake. */
export const PROTOCOL_VERSION = 2;

/**
 * How a worker runs a form.
 * - `value`: run the statements each time; the result is the value of the last expression.
 * - `call`: evaluate the code once to get a function, keep it, and call it for each task.
 */
export type FormMode = 'value' | 'call';

/** A form's code as shipped to a worker, once per worker when `cache` is set. */
export interface FormDef {
  id: number;
  mode: FormMode;
  /** JavaScript, already transpiled from TypeScript when needed. */
  code: string;
  /** The user's file the code came from, for stack traces and the debugger. */
  filename: string;
  /** 1-based line and column of the code's first character in `filename`. */
  line: number;
  column: number;
  /** Source map (v3 JSON) from the transpiled code back to the user's text. */
  sourceMap?: string;
  /** Keep the compiled form on the worker for later tasks. */
  cache: boolean;
  /**
   * For a `call` form: the function is made once per worker by calling the code's function
   * with these arguments (encoded with `encodeValue`), and that result is called per task.
   */
  initArgs?: Uint8Array;
}

/** One unit of work. */
export interface TaskMsg {
  id: number;
  form: number;
  /** Arguments for a `call` form, encoded with `encodeValue`. */
  args?: Uint8Array;
  timeoutMs?: number;
  /** A setup form: the worker replays it on a fresh eval thread after a crash. */
  setup?: boolean;
  /** Erlangen: start the form's function as an agent, and answer with its reference. */
  agent?: AgentSpawnSpec;
}

/** The outcome of one task. `value` is encoded with `encodeValue`. */
export type ResultMsg =
  | { id: number; ok: true; value: Uint8Array; ms: number }
  | { id: number; ok: false; error: RemoteErrorData; ms: number };

/** What a signed `tasks` frame carries (see `protocol/signing.ts`). */
export interface TaskSignature {
  /** Strictly increasing on one connection, starting at 1. */
  seq: number;
  /** HMAC-SHA256, hex. */
  mac: string;
}

/** What a worker tells its master about signing, in its ready message. */
export interface SigningOffer {
  /** Fresh for each connection, so a frame recorded on one cannot be replayed on another. */
  nonce: string;
  /** The worker refuses unsigned frames. */
  required: boolean;
}

/** Facts a worker reports about itself once authenticated. */
export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  node: string;
  /** The Slurm job and node, when the worker runs in one. */
  slurm?: SlurmPlacement;
  /** dist-emacs's signed code: this connection's nonce, and whether the worker insists. */
  signing?: SigningOffer;
}

export namespace Tasks {
  /** master -> worker: forms the worker has not seen yet, then tasks that use them. */
  export interface Msg {
    t: 'tasks';
    forms: FormDef[];
    tasks: TaskMsg[];
    /** CL-MW's result grouping: hold results until this many are done or the worker runs dry. */
    resultGroup?: number;
    /** dist-emacs's signature over the forms and tasks (see signing.ts). */
    sig?: TaskSignature;
  }
}
export namespace Interrupt {
  /** master -> worker: stop what the eval thread is running. */
  export interface Msg {
    t: 'interrupt';
    taskId?: number;
  }
}
export namespace Shutdown {
  /** master -> worker: the master is going away on purpose; do not reconnect. */
  export interface Msg {
    t: 'shutdown';
    reason: string;
  }
}
export namespace Ready {
  /** worker -> master: sent once after authentication. */
  export interface Msg {
    t: 'ready';
    info: WorkerInfo;
  }
}
export namespace Leaving {
  /**
   * worker -> master: the worker is leaving on purpose (its batch job is about to end): send
   * it nothing more. `handBack` are tasks it holds but will not run, for other workers; it
   * finishes the rest, then closes the link cleanly. Sent again for tasks that were already
   * on their way when the first one left.
   */
  export interface Msg {
    t: 'leaving';
    reason: string;
    handBack: number[];
  }
}
export namespace Results {
  /** worker -> master: results, batched when many finish close together. */
  export interface Msg {
    t: 'results';
    results: ResultMsg[];
  }
}
export namespace Output {
  /** worker -> master: what user code wrote to stdout or stderr. */
  export interface Msg {
    t: 'output';
    stream: 'stdout' | 'stderr';
    text: string;
  }
}
export namespace EvalThreadRestarted {
  /** worker -> master: the eval thread died and a fresh one was started. */
  export interface Msg {
    t: 'evalThreadRestarted';
    reason: string;
  }
}
export namespace Load {
  /** worker -> master: the worker's CPU and memory, about once a second beside the link's heartbeat. */
  export interface Msg extends WorkerLoad {
    t: 'load';
  }
}
export namespace ProtocolError {
  /** either way: the peer's last frame was refused, and why. */
  export interface Msg {
    t: 'protocolError';
    code: string;
    message: string;
  }
}

export type MasterToWorker =
  AgentMsg.Msg | Tasks.Msg | Interrupt.Msg | Shutdown.Msg | ProtocolError.Msg | DebugToWorker | CdpToWorker;
export type WorkerToMaster =
  | AgentMsg.Msg
  | Ready.Msg
  | Leaving.Msg
  | Results.Msg
  | Output.Msg
  | EvalThreadRestarted.Msg
  | Load.Msg
  | ProtocolError.Msg
  | DebugToMaster
  | CdpToMaster;
export type LinkMessage = MasterToWorker | WorkerToMaster;
