/**
 * The debugger between the editor and the master: worker suspensions forwarded as
 * notifications, and the editor's questions and restarts as requests. Declared once and
 * imported by the language server (`server/lsp/debug.ts`) and the extension's Crew Debugger
 * (`extension/debugger/`). The language server turns each request into a worker -> master
 * question of `debug-messages.ts` through the master's debug-broker
 * (`server/debug/debug-broker.ts`), which the worker's debug agent (`worker/debug/`) answers.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { DebugCondition, DebugFrame, DebugRestart, DebugValue } from './debug-messages';

export type { DebugCondition, DebugFrame, DebugRestart, DebugValue } from './debug-messages';

/** A suspended evaluation on a worker: SLDB's condition, restarts and backtrace. */
export interface SuspensionInfo {
  /** Pool-wide id, `<worker>.<n>`; requests name it. */
  id: string;
  worker: string;
  condition: DebugCondition;
  frames: DebugFrame[];
}

export namespace DebugPaused {
  export const method = 'crew/debugPaused' as const;
  /** master -> editor: a worker suspended at an error (or an interrupt). */
  export const type = new NotificationType<SuspensionInfo>(method);
}

export interface DebugResumedParams {
  id: string;
  /** What happened: `aborted`, `retrying`, `returned a value`, `worker w2 died...`. */
  how: string;
}
export namespace DebugResumed {
  export const method = 'crew/debugResumed' as const;
  /** master -> editor: a suspension ended. */
  export const type = new NotificationType<DebugResumedParams>(method);
}

export namespace DebugList {
  export const method = 'crew/debugList' as const;
  /** editor -> master: suspensions now open (for an editor that attaches late). */
  export const type = new RequestType0<SuspensionInfo[], void>(method);
}

export interface DebugPropertiesParams {
  suspension: string;
  objectId: string;
}
export namespace DebugProperties {
  export const method = 'crew/debugProperties' as const;
  /** editor -> master: expand a scope or an object, one level (lazily, as VS Code's Variables view). */
  export const type = new RequestType<DebugPropertiesParams, DebugValue[], void>(method);
}

export interface DebugEvaluateParams {
  suspension: string;
  /** Index into the suspension's frames. */
  frame: number;
  expression: string;
}
export namespace DebugEvaluate {
  export const method = 'crew/debugEvaluate' as const;
  /** editor -> master: evaluate an expression in a frame on the suspended worker. */
  export const type = new RequestType<DebugEvaluateParams, DebugValue, void>(method);
}

export interface DebugRestartParams {
  suspension: string;
  restart: DebugRestart;
  /** For `return`: the frame whose scope the expression sees (default 0). */
  frame?: number;
}
export namespace DebugRestartRequest {
  export const method = 'crew/debugRestart' as const;
  /** editor -> master: abort, retry, retry on another worker, return a value, or continue. */
  export const type = new RequestType<DebugRestartParams, { how: string }, void>(method);
}

export interface SetDebugOnErrorParams {
  on: boolean;
  /**
   * If this editor goes away while a worker is suspended, the suspension is aborted after
   * this many milliseconds (default 30000), unless another editor that debugs is attached.
   */
  graceMs?: number;
}
export namespace SetDebugOnError {
  export const method = 'crew/setDebugOnError' as const;
  /** editor -> master: suspend at errors on workers (the `crew.debugOnError` setting). */
  export const type = new RequestType<SetDebugOnErrorParams, void, void>(method);
}

export interface DebugAttachParams {
  /** The worker whose eval thread VS Code's own debugger should attach to. */
  worker: string;
}
export namespace DebugAttach {
  export const method = 'crew/debugAttach' as const;
  /**
   * editor -> master: a one-time `ws://` address on the master's loopback that proxies the
   * worker's eval thread inspector, for js-debug's `websocketAddress` attach.
   */
  export const type = new RequestType<DebugAttachParams, { websocketAddress: string }, void>(method);
}
