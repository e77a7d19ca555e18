/**
 * The worker's main thread answering its master's questions about the image. A worker that
 * runs something says so at once and is not asked: the question would wait behind the task
 * (or slow it). An idle one hands the question to its eval thread and answers when that does,
 * or says why not after {@link THREAD_ANSWER_MS}, so nothing waits on a thread that is stuck.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { ImageAnswer, ImageAsk } from '../../protocol/messages/image-messages';
import {
  IMAGE_CHANNEL,
  isImageThreadAnswer,
  isKind,
  type ImageQuestion,
  type ImageThreadAnswer,
  type ImageThreadListening,
  type ImageWhoListens,
} from './image-channel';

/** Longest wait for the eval thread; the master stops waiting much sooner (about 150 ms). */
const THREAD_ANSWER_MS = 2000;
/** Questions kept for an eval thread that does not listen yet; each is answered by its timer anyway. */
const MAX_EARLY = 64;

/** What answering needs of the worker. */
export interface ImageAskContext {
  /** Whether the eval thread holds a task (running or queued). */
  busy(): boolean;
  /** The eval thread's id now (a restart makes a new thread). */
  threadId(): number;
  /** Sends the answer to the master that asked, if it is still connected. */
  send(answer: ImageAnswer.Msg): void;
}

let channel: BroadcastChannel | undefined;
let nextId = 1;
const waiting = new Map<number, (answer: ImageThreadAnswer | undefined) => void>();
/** The eval thread known to listen, and questions for a fresh one that does not yet. */
let listening = -1;
let early: ImageQuestion[] = [];

function threadChannel(): BroadcastChannel {
  if (channel) return channel;
  const opened = (channel = new BroadcastChannel(IMAGE_CHANNEL));
  opened.unref();
  opened.onmessage = (event) => {
    const m = (event as MessageEvent).data as unknown;
    if (isImageThreadAnswer(m)) return waiting.get(m.id)?.(m);
    if (!isKind<ImageThreadListening>(m, 'imageThreadListening')) return;
    listening = m.thread;
    const ready = early.filter((q) => q.thread === m.thread);
    early = [];
    for (const q of ready) opened.postMessage(q);
  };
  // An eval thread that started before this channel opened said so to nobody: ask again.
  opened.postMessage({ kind: 'imageWhoListens' } satisfies ImageWhoListens);
  return opened;
}

/** Posts a question now, or once its eval thread listens (a question for an older thread is dropped). */
function post(q: ImageQuestion): void {
  const c = threadChannel();
  if (q.thread === listening) return c.postMessage(q);
  early = [...early.filter((e) => e.thread === q.thread), q].slice(-MAX_EARLY);
}

/** Answers one `imageAsk` from the master. */
export function answerImageAsk(ctx: ImageAskContext, m: ImageAsk.Msg): void {
  const id = nextId++;
  const question: ImageQuestion = { kind: 'imageQuestion', thread: ctx.threadId(), id, query: m.query };
  if (ctx.busy()) {
    // Letting values go needs no answer: the eval thread does it between tasks, after this one.
    if (m.query.op !== 'inspectRelease') return ctx.send({ t: 'imageAnswer', reqId: m.reqId, ok: false, busy: true });
    post(question);
    return ctx.send({ t: 'imageAnswer', reqId: m.reqId, ok: true, reply: {} });
  }
  const timer = setTimeout(() => settle(undefined), THREAD_ANSWER_MS).unref();
  function settle(answer: ImageThreadAnswer | undefined): void {
    clearTimeout(timer);
    waiting.delete(id);
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
  waiting.set(id, settle);
  post(question);
}
