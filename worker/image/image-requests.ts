/**
 * The worker's main thread answering its master's questions about the image. A worker that
 * runs something says so at once and is not asked: the question would wait behind the task
 * (or slow it). An idle one hands the question to its eval thread and answers when that does,
 * or says why not after {@link THREAD_ANSWER_MS}, so nothing waits on a thread that is stuck.
 * What needs no answer from the image (letting inspected values go, tracing a function) is
 * handed over even while a task runs, and done between tasks.
 */
import type { ImageAnswer, ImageAsk, ImageQuery, ImageTraced, TraceCall } from '../../protocol/messages/image-messages';
import type { ImageQuestion, ImageThreadAnswer } from './image-channel';
import { forget, onListening, postQuestion, traceTo } from './thread-channel';

/** Longest wait for the eval thread; the master stops waiting much sooner (about 150 ms). */
const THREAD_ANSWER_MS = 2000;

/** What answering needs of the worker. */
export interface ImageAskContext {
  /** Whether the eval thread holds a task (running or queued). */
  busy(): boolean;
  /** The eval thread's id now (a restart makes a new thread). */
  threadId(): number;
  /** Sends to the master that asked, if it is still connected. */
  send(message: ImageAnswer.Msg | ImageTraced.Msg): void;
}

let nextId = 1;

/**
 * What each eval thread traces, with the session that asked: a fresh thread (after an
 * interrupt or a crash) gets its session's traces again once it listens, after the setup
 * forms that define the functions, which were handed to it first.
 */
const tracing = new Map<number, { ctx: ImageAskContext; paths: Map<string, string[]> }>();

function remember(ctx: ImageAskContext, thread: number, query: ImageQuery): void {
  if (query.op !== 'trace' && query.op !== 'untrace') return;
  if (tracing.size === 0) onListening(retrace);
  let t = tracing.get(thread);
  if (!t) tracing.set(thread, (t = { ctx, paths: new Map() }));
  t.ctx = ctx;
  if (query.op === 'trace') t.paths.set(query.path.join('.'), query.path);
  else t.paths.delete(query.path.join('.'));
}

function retrace(thread: number): void {
  for (const [old, t] of tracing) {
    if (old === thread || t.ctx.threadId() !== thread) continue;
    tracing.delete(old);
    tracing.set(thread, t);
    traceTo(thread, sinkOf(t.ctx));
    for (const path of t.paths.values())
      postQuestion({ kind: 'imageQuestion', thread, id: nextId++, query: { op: 'trace', path } });
  }
}

function sinkOf(ctx: ImageAskContext) {
  return ({ calls, dropped }: { calls: TraceCall[]; dropped: number }) =>
    ctx.send({ t: 'imageTraced', calls, dropped });
}

/** Questions that change the image between tasks and need not wait for them. */
function runsBetweenTasks(query: ImageQuery): boolean {
  return query.op === 'inspectRelease' || query.op === 'trace' || query.op === 'untrace';
}

/** Answers one `imageAsk` from the master. */
export function answerImageAsk(ctx: ImageAskContext, m: ImageAsk.Msg): void {
  const id = nextId++;
  const thread = ctx.threadId();
  const question: ImageQuestion = { kind: 'imageQuestion', thread, id, query: m.query };
  remember(ctx, thread, m.query);
  if (m.query.op === 'trace') traceTo(thread, sinkOf(ctx));
  if (ctx.busy()) {
    if (!runsBetweenTasks(m.query)) return ctx.send({ t: 'imageAnswer', reqId: m.reqId, ok: false, busy: true });
    postQuestion(question);
    return ctx.send({ t: 'imageAnswer', reqId: m.reqId, ok: true, reply: { queued: true } });
  }
  const timer = setTimeout(() => settle(undefined), THREAD_ANSWER_MS).unref();
  function settle(answer: ImageThreadAnswer | undefined): void {
    clearTimeout(timer);
    forget(id);
    if (answer?.reply) ctx.send({ t: 'imageAnswer', reqId: m.reqId, ok: true, reply: answer.reply });
    else
      ctx.send({
        t: 'imageAnswer',
        reqId: m.reqId,
        ok: false,
        message: answer?.error ?? `the eval thread did not answer within ${THREAD_ANSWER_MS} ms`,
        ...(answer?.code && { code: answer.code }),
      });
  }
  postQuestion(question, settle);
}
