/**
 * The worker's main thread answering its master's questions about the image. A worker that
 * runs something says so at once and is not asked: the question would wait behind the task
 * (or slow it). An idle one hands the question to its eval thread and answers when that does,
 * or says why not after {@link THREAD_ANSWER_MS}, so nothing waits on a thread that is stuck.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { ImageAnswer, ImageAsk } from '../../protocol/messages/image-messages';
import { IMAGE_CHANNEL, isImageThreadAnswer, type ImageQuestion, type ImageThreadAnswer } from './image-channel';

/** Longest wait for the eval thread; the master stops waiting much sooner (about 150 ms). */
const THREAD_ANSWER_MS = 2000;

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

function threadChannel(): BroadcastChannel {
  if (channel) return channel;
  channel = new BroadcastChannel(IMAGE_CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    const m = (event as MessageEvent).data as unknown;
    if (isImageThreadAnswer(m)) waiting.get(m.id)?.(m);
  };
  return channel;
}

/** Answers one `imageAsk` from the master. */
export function answerImageAsk(ctx: ImageAskContext, m: ImageAsk.Msg): void {
  if (ctx.busy()) return ctx.send({ t: 'imageAnswer', reqId: m.reqId, ok: false, busy: true });
  const id = nextId++;
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
      });
  }
  waiting.set(id, settle);
  const question: ImageQuestion = { kind: 'imageQuestion', thread: ctx.threadId(), id, query: m.query };
  threadChannel().postMessage(question);
}
