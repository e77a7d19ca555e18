/**
 * Debugger messages between a worker and the master, declared here once. A suspension and
 * a restart take this path:
 *
 * - worker/debug/ (on the worker) suspends the eval thread at a throw or an interrupt,
 *   sends {@link Paused} with the live frames, answers {@link DebugRequest}s about them,
 *   and sends {@link Resumed} when a restart (or anything else) ends the suspension;
 *   worker/process/worker-main.ts carries them over the worker's link to the master;
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

/**
 * One live frame: a {@link StackFrame} (mapped to the user's source where a source map
 * exists; `internal` frames are hidden unless asked for) with what the debugger adds.
 */
export interface DebugFrame extends StackFrame {
  /** Its place in the suspension's frames, innermost first; requests name a frame by it. */
  index: number;
  /** How the editor shows `file` (relative to the workspace); set by the editor itself. */
  display?: string;
  /** Scopes that can be expanded: local, closure, block, script (not global). */
  scopes: { type: string; name?: string; objectId: string }[];
}

/** A value as the debugger shows it; `objectId` means it can be expanded. */
export interface DebugValue {
  name: string;
  type: string;
  value: string;
  objectId?: string;
}

/** What stopped the thread. */
export interface DebugCondition {
  /** `exception` at a throw, `interrupt` when the developer interrupted it. */
  reason: 'exception' | 'interrupt';
  /** The error's class, e.g. `RangeError`, or `Interrupt`. */
  name: string;
  message: string;
  /** The form being evaluated, as `file:line` plus its first characters. */
  form?: string;
}

/** The developer's choice, in SLDB's order. */
export type DebugRestart =
  | { kind: 'abort' }
  | { kind: 'retry' }
  | { kind: 'retryElsewhere' }
  | { kind: 'return'; expression: string }
  | { kind: 'continue' };

export namespace DebugMode {
  /** master -> worker: suspend at errors in user code (an editor is attached) or not. */
  export interface Msg {
    t: 'debugMode';
    on: boolean;
  }
}
export namespace Paused {
  /** worker -> master: the eval thread is suspended; its frames come along. */
  export interface Msg {
    t: 'debugPaused';
    pauseId: number;
    taskId?: number;
    condition: DebugCondition;
    frames: DebugFrame[];
  }
}
export namespace Resumed {
  /** worker -> master: a suspension ended, and how. */
  export interface Msg {
    t: 'debugResumed';
    pauseId: number;
    how: string;
  }
}

/** Requests the master makes of a suspended worker. */
export type DebugOp =
  | { op: 'properties'; objectId: string }
  | { op: 'evaluate'; frame: number; expression: string }
  | { op: 'restart'; restart: DebugRestart; frame?: number };

/** Answers to {@link DebugOp}s. */
export type DebugAnswer = { values: DebugValue[] } | { value: DebugValue } | { restarted: string };

export namespace DebugRequest {
  /** master -> worker: a question about suspension `pauseId` (properties, evaluate in frame, restart). */
  export interface Msg {
    t: 'debugRequest';
    reqId: number;
    pauseId: number;
    req: DebugOp;
  }
}
export namespace DebugResponse {
  /** worker -> master: the answer, or why there is none (e.g. the suspension already ended). */
  export type Msg =
    | { t: 'debugResponse'; reqId: number; ok: true; answer: DebugAnswer }
    | { t: 'debugResponse'; reqId: number; ok: false; code: string; message: string };
}
export namespace Suspend {
  /** master -> worker: suspend the running evaluation into the debugger (SLIME's interrupt). */
  export interface Msg {
    t: 'debugSuspend';
  }
}

export type DebugToWorker = DebugMode.Msg | DebugRequest.Msg | Suspend.Msg;
export type DebugToMaster = Paused.Msg | Resumed.Msg | DebugResponse.Msg;
