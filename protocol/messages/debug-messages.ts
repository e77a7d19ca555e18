/**
 * Debugger messages between a worker and the master, declared here once. A suspension and
 * a restart take this path:
 *
 * - worker/debug/ (on the worker) suspends the eval thread at a throw or an interrupt,
 *   sends {@link Paused} with the live frames, answers {@link DebugRequest}s about them,
 *   and sends {@link Resumed} when a restart (or anything else) ends the suspension;
 *   worker/process/worker-session.ts carries them over its master's link;
 * - server/pool/worker-messages.ts hands them to server/debug/debug-broker.ts (on the
 *   master), which keeps each suspension under a pool-wide id and sends questions to the
 *   worker that owns it;
 * - server/lsp/debug.ts forwards both ways to the editor as the `crew/debug*` messages of
 *   `lsp-debug-messages.ts`, so the editor never needs a route to the worker;
 * - extension/debugger/ shows them (SLDB's condition, restarts and backtrace), and sends
 *   the developer's restart back along the same path.
 *
 * A restart ends in worker/image/evaluator.ts, which takes it from the slot the debug agent
 * fills (worker/debug/restart-slot.ts); "retry on another worker" comes back to the master's
 * scheduler as a `CREW_RETRY_ELSEWHERE` failure.
 */
import type { StackFrame } from '../errors';
import {
  anyObject,
  anyOf,
  arrayOf,
  bool,
  claim,
  exactly,
  num,
  oneOf,
  optional,
  shape,
  str,
  variant,
  type Infer,
} from './field-checks';
import { message, type MessageOf, type SentBy } from './link-message';

/** A {@link StackFrame}'s fields, as a suspension's frames are checked. */
const stackFrameFields = exactly<StackFrame>()({
  functionName: str,
  file: str,
  line: num,
  column: num,
  internal: bool,
});

/**
 * One live frame as the worker sends it: a {@link StackFrame} (mapped to the user's source
 * where a source map exists; `internal` frames are hidden unless asked for) with what the
 * debugger adds.
 */
const debugFrame = shape({
  /** Its place in the suspension's frames, innermost first; requests name a frame by it. */
  index: num,
  ...stackFrameFields,
  /** Scopes that can be expanded: local, closure, block, script (not global). */
  scopes: arrayOf(shape({ type: str, name: optional(str), objectId: str })),
});
export type DebugFrame = Infer<typeof debugFrame> & {
  /** How the editor shows `file` (relative to the workspace); set by the editor itself. */
  display?: string;
};

/** A value as the debugger shows it; `objectId` means it can be expanded. */
export interface DebugValue {
  name: string;
  type: string;
  value: string;
  objectId?: string;
}

/** What stopped the thread. */
const debugCondition = shape({
  /** `exception` at a throw, `interrupt` when the developer interrupted it. */
  reason: oneOf('exception', 'interrupt'),
  /** The error's class, e.g. `RangeError`, or `Interrupt`. */
  name: str,
  message: str,
  /** The form being evaluated, as `file:line` plus its first characters. */
  form: optional(str),
});
export type DebugCondition = Infer<typeof debugCondition>;

/** The developer's choice, in SLDB's order. */
const debugRestart = variant('kind', {
  abort: {},
  retry: {},
  retryElsewhere: {},
  return: { expression: str },
  continue: {},
});
export type DebugRestart = Infer<typeof debugRestart>;

/** Requests the master makes of a suspended worker. */
const debugOp = variant('op', {
  properties: { objectId: str },
  evaluate: { frame: num, expression: str },
  restart: { restart: debugRestart, frame: optional(num) },
});
export type DebugOp = Infer<typeof debugOp>;

/** Answers to {@link DebugOp}s: the guard checks only that there is one, an object. */
export type DebugAnswer = { values: DebugValue[] } | { value: DebugValue } | { restarted: string };

export namespace DebugMode {
  /** master -> worker: suspend at errors in user code (an editor is attached) or not. */
  export const type = message('debugMode', 'master', { on: bool });
  export type Msg = MessageOf<typeof type>;
}
export namespace Paused {
  /** worker -> master: the eval thread is suspended; its frames come along. */
  export const type = message('debugPaused', 'worker', {
    pauseId: num,
    taskId: optional(num),
    condition: debugCondition,
    frames: arrayOf(debugFrame),
  });
  export type Msg = MessageOf<typeof type>;
}
export namespace Resumed {
  /** worker -> master: a suspension ended, and how. */
  export const type = message('debugResumed', 'worker', { pauseId: num, how: str });
  export type Msg = MessageOf<typeof type>;
}
export namespace DebugRequest {
  /** master -> worker: a question about suspension `pauseId` (properties, evaluate in frame, restart). */
  export const type = message('debugRequest', 'master', { reqId: num, pauseId: num, req: debugOp });
  export type Msg = MessageOf<typeof type>;
}
export namespace DebugResponse {
  /** worker -> master: the answer, or why there is none (e.g. the suspension already ended). */
  export const type = message(
    'debugResponse',
    'worker',
    anyOf(
      shape({ reqId: num, ok: oneOf(true), answer: claim<DebugAnswer>()(anyObject) }),
      shape({ reqId: num, ok: oneOf(false), code: str, message: str }),
    ),
  );
  export type Msg = MessageOf<typeof type>;
}
export namespace Suspend {
  /** master -> worker: suspend the running evaluation into the debugger (SLIME's interrupt). */
  export const type = message('debugSuspend', 'master', {});
  export type Msg = MessageOf<typeof type>;
}

/** This file's messages, for the link's table. */
export const debugMessageTypes = [
  DebugMode.type,
  DebugRequest.type,
  Suspend.type,
  Paused.type,
  Resumed.type,
  DebugResponse.type,
] as const;
type Debug = (typeof debugMessageTypes)[number];

export type DebugToWorker = SentBy<Debug, 'master'>;
export type DebugToMaster = SentBy<Debug, 'worker'>;
