/**
 * The `crew/...` messages of the trace dialog, after SLIME's `slime-trace-dialog`: the editor
 * traces a function by name on every worker (and on workers that join later), each call comes
 * back as a {@link TraceCalls} notification, and untracing puts the original back.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { TraceCall } from './image-messages';

export interface TraceFunctionParams {
  /** A global function's name, or a path to a method: `crewF`, `lib.area`, `Bag.prototype.add`. */
  name: string;
}

export interface TraceFunctionResult {
  /** Workers where the function is wrapped now. */
  traced: string[];
  /** Workers running a task: the function is wrapped when it ends. */
  queued: string[];
  /** Workers where it could not be (no such function, say), and why. */
  failed: { worker: string; message: string }[];
}

export namespace TraceFunction {
  export const method = 'crew/traceFunction';
  export const type = new RequestType<TraceFunctionParams, TraceFunctionResult, void>(method);
}

export namespace UntraceFunction {
  export const method = 'crew/untraceFunction';
  export const type = new RequestType<TraceFunctionParams, { untraced: string[] }, void>(method);
}

/** One call of a traced function, on the worker that made it. */
export type WorkerTraceCall = TraceCall & { worker: string };

export interface TraceCallsParams {
  calls: WorkerTraceCall[];
  /** Calls not recorded (a worker records a few hundred a second at most), by worker. */
  dropped: { worker: string; count: number }[];
}

/** Server -> editor: calls of the functions this editor traces, as they happen. */
export namespace TraceCalls {
  export const method = 'crew/traceCalls';
  export const type = new NotificationType<TraceCallsParams>(method);
}
