/**
 * Every error Crew raises carries a stable `code` from {@link ErrorCodes}, and is built by
 * {@link crewError} so that codes and wording live in one place.
 */

/** Stable error codes. Match on these, never on message text. */
export const ErrorCodes = {
  /** A value cannot cross the wire (a function, a socket, a symbol...). */
  NotSerializable: 'CREW_NOT_SERIALIZABLE',
  /** The form does not parse as JavaScript or TypeScript. */
  FormSyntax: 'CREW_FORM_SYNTAX',
  /** The form is neither a string, a form object nor a function. */
  BadForm: 'CREW_BAD_FORM',
  /** Code threw on a worker; see {@link RemoteError}. */
  Remote: 'CREW_REMOTE_ERROR',
  /** The worker running the task went away. */
  WorkerLost: 'CREW_WORKER_LOST',
  /** No worker is left to run the task. */
  NoWorkers: 'CREW_NO_WORKERS',
  /** The pool was disconnected while the call was in flight. */
  PoolClosed: 'CREW_POOL_CLOSED',
  /** A task ran past its timeout. */
  Timeout: 'CREW_TIMEOUT',
  /** A task was interrupted. */
  Interrupted: 'CREW_INTERRUPTED',
  /** A task killed several workers in a row and is not tried again. */
  TaskKilledWorkers: 'CREW_TASK_KILLED_WORKERS',
  /** The eval thread of a worker died (out of memory, process.exit, fatal error). */
  EvalThreadDied: 'CREW_EVAL_THREAD_DIED',
  /** Authentication failed: wrong or missing secret, or a replayed handshake. */
  AuthFailed: 'CREW_AUTH_FAILED',
  /** The peer did not finish the handshake in time. */
  HandshakeTimeout: 'CREW_HANDSHAKE_TIMEOUT',
  /** The peer sent a frame that is not Crew's protocol. */
  BadFrame: 'CREW_BAD_FRAME',
  /** A connection could not be made. */
  ConnectFailed: 'CREW_CONNECT_FAILED',
  /** The worker already serves as many masters as its `--max-sessions` allows. */
  WorkerBusy: 'CREW_WORKER_BUSY',
  /** A limit (queue length, frame size) was exceeded. */
  LimitExceeded: 'CREW_LIMIT_EXCEEDED',
  /** Workers could not be started (ssh or a batch system failed or is missing). */
  LaunchFailed: 'CREW_LAUNCH_FAILED',
  /** Bad options or arguments from the caller. */
  BadArgument: 'CREW_BAD_ARGUMENT',
  /** Refused to listen on a non-loopback address without a secret. */
  InsecureListen: 'CREW_INSECURE_LISTEN',
  /** The named worker is not in the pool. */
  UnknownWorker: 'CREW_UNKNOWN_WORKER',
  /** A debugger request named a suspension that has already ended. */
  DebugStale: 'CREW_DEBUG_STALE',
  /** The developer chose "retry on another worker" in the debugger. */
  RetryElsewhere: 'CREW_RETRY_ELSEWHERE',
  /** The secret could not be read or created. */
  Secret: 'CREW_SECRET',
  /** A worker that requires signed requests (`--require-signed`) got an unsigned one. */
  Unsigned: 'CREW_UNSIGNED',
  /** A request's signature does not match its code: wrong secret, or altered on the way. */
  BadSignature: 'CREW_BAD_SIGNATURE',
  /** A signed request was sent again (its sequence number was already seen). */
  Replayed: 'CREW_REPLAYED',
  /** No agent has that name, or the reference is not an agent's. */
  UnknownAgent: 'CREW_UNKNOWN_AGENT',
  /** The agent was ended (by `exit`, or because an agent linked to it ended). */
  AgentExit: 'CREW_AGENT_EXIT',
  /** The peer speaks another version of Crew's protocol; both versions are named. */
  VersionMismatch: 'CREW_VERSION_MISMATCH',
  /**
   * A frame after the handshake did not carry the tag of the authenticated peer: forged,
   * altered, replayed or reordered on the way. The link is closed.
   */
  FrameAuthFailed: 'CREW_FRAME_AUTH_FAILED',
  /** A value opened in the inspector is no longer held on its worker: released, evicted, or the worker restarted. */
  InspectGone: 'CREW_INSPECT_GONE',
  /** The worker runs a task, so it was not asked about its image; ask again when it is idle. */
  WorkerRunning: 'CREW_WORKER_RUNNING',
  /**
   * Both ends know the secret, but each made the handshake over another channel: something
   * between them terminates or strips TLS (a man in the middle). The link is refused.
   */
  ChannelMismatch: 'CREW_CHANNEL_MISMATCH',
  /** A module a form imports cannot be found from its importer's file, on the master nor on the worker's host. */
  ModuleNotFound: 'CREW_MODULE_NOT_FOUND',
  /**
   * A module cannot be shipped to workers, or loaded there as it is asked for: a file Crew
   * cannot transpile, or a `require()` of an ES module that the worker's host provides.
   */
  ModuleNotShippable: 'CREW_MODULE_NOT_SHIPPABLE',
  /** A worker could not get a module's code from its master (gone, or the code did not match its hash). */
  ModuleFetchFailed: 'CREW_MODULE_FETCH_FAILED',
  /** The worker's eval thread is already being profiled (one CPU profile or heap snapshot at a time). */
  ProfileBusy: 'CREW_PROFILE_BUSY',
  /** The worker could not take a profile or heap snapshot (its inspector failed, or its eval thread went away). */
  ProfileFailed: 'CREW_PROFILE_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** An error raised by Crew itself. */
export class CrewError extends Error {
  override name = 'CrewError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Builds a {@link CrewError}; the one place Crew's own errors come from. */
export function crewError(code: ErrorCode, message: string, details?: Record<string, unknown>): CrewError {
  return new CrewError(code, message, details);
}

/** One frame of a remote stack, already mapped to the user's source where a map exists. */
export interface StackFrame {
  functionName: string;
  file: string;
  line: number;
  column: number;
  /** True for frames of Node itself or of Crew's runtime. */
  internal: boolean;
}

/** What a worker sends back when user code throws. */
export interface RemoteErrorData {
  /** The original error's class name, e.g. `TypeError`. */
  name: string;
  message: string;
  frames: StackFrame[];
  /** A Crew error code when the failure is Crew's (timeout, not serializable...). */
  code?: ErrorCode;
  /** The thrown value itself when it was not an Error (e.g. `throw 42`), printed. */
  thrown?: string;
}

/**
 * An exception raised on a worker. Carries the worker id, the original error's class name
 * and message, and its stack frames mapped to the user's source.
 */
export class RemoteError extends CrewError {
  override name = 'RemoteError';
  readonly remoteName: string;
  readonly remoteMessage: string;
  readonly frames: StackFrame[];
  constructor(
    readonly workerId: string,
    data: RemoteErrorData,
  ) {
    super(data.code ?? ErrorCodes.Remote, `${data.name} on ${workerId}: ${data.message}`);
    this.remoteName = data.name;
    this.remoteMessage = data.message;
    this.frames = data.frames;
    this.stack = formatRemoteStack(this.message, data.frames);
  }
}

/** Formats frames the way V8 prints a stack, so terminals and editors can link them. */
export function formatRemoteStack(headline: string, frames: StackFrame[], includeInternal = false): string {
  const lines = frames
    .filter((f) => includeInternal || !f.internal)
    .map(
      (f) =>
        '    at ' +
        (f.functionName ? `${f.functionName} (${f.file}:${f.line}:${f.column})` : `${f.file}:${f.line}:${f.column}`),
    );
  return [headline, ...lines].join('\n');
}
