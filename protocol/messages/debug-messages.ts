/**
 * Debugger messages: a worker's debug agent reports a suspension of its eval thread (at a
 * throw, or at an interrupt) and answers the master's questions about its live frames. The
 * master forwards them to the editor over LSP (`protocol/messages/lsp-debug-messages.ts`), so the editor never
 * needs a route to the worker.
 */

/** One live frame, mapped to the user's source where a source map exists. */
export interface DebugFrame {
  index: number;
  functionName: string;
  file: string;
  line: number;
  column: number;
  /** Node internals and Crew's own runtime: hidden unless asked for. */
  internal: boolean;
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

export const debugToWorkerTags = ['debugMode', 'debugRequest', 'debugSuspend'] as const;
export const debugToMasterTags = ['debugPaused', 'debugResumed', 'debugResponse'] as const;
