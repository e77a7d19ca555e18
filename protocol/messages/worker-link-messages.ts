/**
 * Messages on the master <-> worker link, declared once and imported by both ends.
 *
 * Each is declared by `message(tag, sender, fields)` (see `link-message.ts`): its TypeScript
 * type is derived from the check of its fields, and `worker-link-guards.ts` derives the guard of
 * each direction from the same declarations, so a type and its check cannot disagree.
 *
 * Before authentication only the JSON handshake messages in `worker-handshake.ts` are
 * accepted. After it, every frame is one binary {@link LinkMessage} encoded by `codec.ts`, and
 * checked by its direction's guard before a handler sees it.
 */
import { cdpMessageTypes } from './cdp-messages';
import { formModules, moduleMessageTypes } from './module-messages';
import { debugMessageTypes } from './debug-messages';
import { AgentMsg, agentSpawnSpec } from './agent-messages';
import { imageMessageTypes } from './image-messages';
import { profileMessageTypes } from './profile-messages';
import {
  anyObject,
  anyOf,
  arrayOf,
  bool,
  bytes,
  claim,
  exactly,
  intFrom,
  num,
  oneOf,
  optional,
  shape,
  str,
  type Infer,
} from './field-checks';
import { message, type MessageOf, type SentBy } from './link-message';
import type { ErrorCode, RemoteErrorData, StackFrame } from '../errors';
import type { SlurmPlacement, WorkerLoad } from '../worker-summary';

/**
 * The protocol version both ends must agree on in the handshake. 3: forms carry their module
 * graph, and the handshake is bound to the TLS channel. 4: the cdp messages name their
 * debugger `debuggerId`.
 */
export const PROTOCOL_VERSION = 4;

/**
 * How a worker runs a form.
 * - `value`: run the statements each time; the result is the value of the last expression.
 * - `call`: evaluate the code once to get a function, keep it, and call it for each task.
 */
const formMode = oneOf('value', 'call');
export type FormMode = Infer<typeof formMode>;

/** A form's code as shipped to a worker, once per worker when `cache` is set. */
const formDef = shape({
  id: num,
  mode: formMode,
  /** JavaScript, already transpiled from TypeScript when needed. */
  code: str,
  /** The user's file the code came from, for stack traces and the debugger. */
  filename: str,
  /** 1-based line and column of the code's first character in `filename`. */
  line: num,
  column: num,
  /** Source map (v3 JSON) from the transpiled code back to the user's text. */
  sourceMap: optional(str),
  /** Keep the compiled form on the worker for later tasks. */
  cache: bool,
  /**
   * For a `call` form: the function is made once per worker by calling the code's function
   * with these arguments (encoded with `encodeValue`), and that result is called per task.
   */
  initArgs: optional(bytes),
  /** The modules the form imports, resolved on the master (absent when it imports nothing). */
  modules: optional(formModules),
});
export type FormDef = Infer<typeof formDef>;

/** One unit of work. */
const taskMsg = shape({
  id: num,
  form: num,
  /** Arguments for a `call` form, encoded with `encodeValue`. */
  args: optional(bytes),
  timeoutMs: optional(num),
  /** A setup form: the worker replays it on a fresh eval thread after a crash. */
  setup: optional(bool),
  /** Erlangen: start the form's function as an agent, and answer with its reference. */
  agent: optional(agentSpawnSpec),
  /**
   * A person waits for this result (the REPL, the editor, a notebook): a value that cannot be
   * sent (a function, say) comes back as its print on the worker, `printed`, instead of failing.
   */
  printable: optional(bool),
});
export type TaskMsg = Infer<typeof taskMsg>;

/** What a worker sends back when user code throws (its type lives in errors.ts). */
const remoteError = exactly<RemoteErrorData>()(
  shape({
    name: str,
    message: str,
    frames: arrayOf(claim<StackFrame>()(anyObject)),
    code: optional(claim<ErrorCode>()(str)),
    thrown: optional(str),
  }),
);

/**
 * The outcome of one task. `value` is encoded with `encodeValue`; with `printed`, it is the
 * text `util.inspect` gave on the worker for a value that could not be sent (a `printable` task).
 */
const resultMsg = anyOf(
  shape({ id: num, ok: oneOf(true), value: bytes, ms: num, printed: optional(oneOf(true)) }),
  shape({ id: num, ok: oneOf(false), error: remoteError, ms: num }),
);
export type ResultMsg = Infer<typeof resultMsg>;

/** What a signed `tasks` frame carries (see `protocol/signing.ts`). */
const taskSignature = shape({
  /** Strictly increasing on one connection, starting at 1. */
  seq: num,
  /** HMAC-SHA256, hex. */
  mac: str,
});
export type TaskSignature = Infer<typeof taskSignature>;

/**
 * What a worker tells its master about signing, in its ready message. The guard checks only
 * that it is an object: its format is the pool's to judge, and a bad one means "no signing".
 */
export interface SigningOffer {
  /** Fresh for each connection, so a frame recorded on one cannot be replayed on another. */
  nonce: string;
  /** The worker refuses unsigned frames. */
  required: boolean;
}

/** Facts a worker reports about itself once authenticated. */
const workerInfo = shape({
  name: str,
  host: str,
  pid: num,
  node: str,
  /** The Slurm job and node, when the worker runs in one. */
  slurm: optional(exactly<SlurmPlacement>()(shape({ job: str, node: str }))),
  /** dist-emacs's signed code: this connection's nonce, and whether the worker insists. */
  signing: optional(claim<SigningOffer>()(anyObject)),
});
export type WorkerInfo = Infer<typeof workerInfo>;

export namespace Tasks {
  /** master -> worker: forms the worker has not seen yet, then tasks that use them. */
  export const type = message('tasks', 'master', {
    forms: arrayOf(formDef),
    tasks: arrayOf(taskMsg),
    /** CL-MW's result grouping: hold results until this many are done or the worker runs dry. */
    resultGroup: optional(intFrom(1)),
    /** dist-emacs's signature over the forms and tasks (see signing.ts). */
    sig: optional(taskSignature),
  });
  export type Msg = MessageOf<typeof type>;
}
export namespace Interrupt {
  /** master -> worker: stop what the eval thread is running. */
  export const type = message('interrupt', 'master', { taskId: optional(num) });
  export type Msg = MessageOf<typeof type>;
}
export namespace Shutdown {
  /** master -> worker: the master is going away on purpose; do not reconnect. */
  export const type = message('shutdown', 'master', { reason: str });
  export type Msg = MessageOf<typeof type>;
}
export namespace Ready {
  /** worker -> master: sent once after authentication. */
  export const type = message('ready', 'worker', { info: workerInfo });
  export type Msg = MessageOf<typeof type>;
}
export namespace Leaving {
  /**
   * worker -> master: the worker is leaving on purpose (its batch job is about to end): send
   * it nothing more. `handBack` are tasks it holds but will not run, for other workers; it
   * finishes the rest, then closes the link cleanly. Sent again for tasks that were already
   * on their way when the first one left.
   */
  export const type = message('leaving', 'worker', { reason: str, handBack: arrayOf(num) });
  export type Msg = MessageOf<typeof type>;
}
export namespace Results {
  /** worker -> master: results, batched when many finish close together. */
  export const type = message('results', 'worker', { results: arrayOf(resultMsg) });
  export type Msg = MessageOf<typeof type>;
}
export namespace Output {
  /** worker -> master: what user code wrote to stdout or stderr. */
  export const type = message('output', 'worker', { stream: oneOf('stdout', 'stderr'), text: str });
  export type Msg = MessageOf<typeof type>;
}
export namespace EvalThreadRestarted {
  /** worker -> master: the eval thread died and a fresh one was started. */
  export const type = message('evalThreadRestarted', 'worker', { reason: str });
  export type Msg = MessageOf<typeof type>;
}
export namespace Load {
  /** worker -> master: the worker's CPU and memory, about once a second beside the link's heartbeat. */
  export const type = message(
    'load',
    'worker',
    exactly<WorkerLoad>()(shape({ cpu: num, rssBytes: num, heapUsedBytes: num })),
  );
  export type Msg = MessageOf<typeof type>;
}
export namespace ProtocolError {
  /** either way: the peer's last frame was refused, and why. */
  export const type = message('protocolError', 'both', { code: str, message: str });
  export type Msg = MessageOf<typeof type>;
}

/** Every message type of the link; the guards of both directions are derived from this list. */
export const linkMessageTypes = [
  Tasks.type,
  Interrupt.type,
  Shutdown.type,
  Ready.type,
  Leaving.type,
  Results.type,
  Output.type,
  EvalThreadRestarted.type,
  Load.type,
  ProtocolError.type,
  AgentMsg.type,
  ...debugMessageTypes,
  ...cdpMessageTypes,
  ...moduleMessageTypes,
  ...imageMessageTypes,
  ...profileMessageTypes,
] as const;
type Declared = (typeof linkMessageTypes)[number];

/** What a master sends, and a worker's end accepts. */
export type MasterToWorker = SentBy<Declared, 'master'>;
/** What a worker sends, and a master's end accepts. */
export type WorkerToMaster = SentBy<Declared, 'worker'>;
export type LinkMessage = MasterToWorker | WorkerToMaster;
