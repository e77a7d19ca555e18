/**
 * The master's requests of a suspended worker: expand an object, evaluate in a frame, and
 * restart. They arrive as `debugRequest` (protocol/messages/debug-messages.ts), sent by the
 * master's debug-broker (server/debug/debug-broker.ts) for an editor's `crew/debug*`
 * request (server/lsp/debug.ts, from extension/debugger/); the answer goes back as
 * `debugResponse`, and a restart also ends the suspension with `debugResumed`.
 *
 * A restart other than `continue` is left in the restart slot (restart-slot.ts) of the
 * suspended thread; when the thread resumes, the error reaches the evaluator
 * (worker/image/evaluator.ts), which takes the restart from there.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { DebugAnswer, DebugCondition, DebugOp, DebugValue } from '../../protocol/messages/debug-messages';
import type { CallFrame, EvalThreadInspector, RemoteObject } from './eval-thread-inspector';
import { RESTART_SLOT } from './restart-slot';
import { toValue } from './suspension-report';

/** A suspension of the eval thread, as the debug agent keeps it while the thread waits. */
export interface Suspension {
  pauseId: number;
  reason: DebugCondition['reason'];
  frames: CallFrame[];
}

/** What a request needs of the debug agent. */
export interface RequestContext {
  inspector: EvalThreadInspector;
  /** Ends the suspension and tells the master how (`debugResumed`). */
  ended(how: string): void;
  /** Replaces the eval thread: the only way to abort a loop that throws nothing. */
  replaceThread(): void;
}

/** Answers `op` about suspension `pause`, which the caller checked is the current one. */
export async function answer(ctx: RequestContext, pause: Suspension, op: DebugOp): Promise<DebugAnswer> {
  switch (op.op) {
    case 'properties': {
      const r = (await ctx.inspector.send('Runtime.getProperties', { objectId: op.objectId, ownProperties: true })) as {
        result: { name: string; value?: RemoteObject; get?: RemoteObject }[];
      };
      return {
        values: r.result.slice(0, 500).map((d) => toValue(d.name, d.value ?? d.get ?? { type: 'undefined' })),
      };
    }
    case 'evaluate':
      return { value: await evaluateInFrame(ctx.inspector, pause, op.frame, op.expression) };
    case 'restart':
      return { restarted: await restart(ctx, pause, op) };
  }
}

async function evaluateInFrame(
  inspector: EvalThreadInspector,
  pause: Suspension,
  frame: number,
  expression: string,
): Promise<DebugValue> {
  const cf = pause.frames[frame];
  if (!cf) throw crewError(ErrorCodes.BadArgument, `there is no frame ${frame}; the stack has ${pause.frames.length}`);
  const r = (await inspector.send('Debugger.evaluateOnCallFrame', {
    callFrameId: cf.callFrameId,
    expression,
    silent: true,
    generatePreview: false,
  })) as { result: RemoteObject; exceptionDetails?: { exception?: RemoteObject; text: string } };
  if (r.exceptionDetails) {
    const e = r.exceptionDetails.exception;
    throw crewError(
      ErrorCodes.Remote,
      `evaluating ${JSON.stringify(expression)} in frame ${frame} ` +
        `threw ${e?.description?.split('\n')[0] ?? r.exceptionDetails.text}`,
    );
  }
  return toValue(expression, r.result);
}

/** Applies a restart and resumes the thread; the result says how the suspension ended. */
export async function restart(
  ctx: RequestContext,
  pause: Suspension,
  op: Extract<DebugOp, { op: 'restart' }>,
): Promise<string> {
  const { restart } = op;
  if (pause.reason === 'interrupt' && restart.kind !== 'continue' && restart.kind !== 'abort') {
    throw crewError(
      ErrorCodes.BadArgument,
      `an interrupted evaluation can be continued or aborted, not given ${restart.kind}`,
    );
  }
  if (pause.reason === 'exception' && restart.kind !== 'continue') {
    const value = restart.kind === 'return' ? `value: (${restart.expression}),` : '';
    await evaluateInFrame(
      ctx.inspector,
      pause,
      restart.kind === 'return' ? (op.frame ?? 0) : 0,
      `process[Symbol.for(${JSON.stringify(RESTART_SLOT)})] = { kind: ${JSON.stringify(restart.kind)}, ${value} }`,
    );
  }
  const how =
    restart.kind === 'return'
      ? 'returned a value'
      : restart.kind === 'retryElsewhere'
        ? 'retrying on another worker'
        : restart.kind === 'retry'
          ? 'retrying'
          : restart.kind === 'abort'
            ? 'aborted'
            : 'continued';
  ctx.ended(how);
  await ctx.inspector.send('Debugger.resume');
  if (pause.reason === 'interrupt' && restart.kind === 'abort') ctx.replaceThread();
  return how;
}
