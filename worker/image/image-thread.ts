/**
 * The eval thread's side of questions about its image (see image-channel.ts). A question is
 * read between tasks: the main thread sends one only while the thread runs nothing.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { CrewError } from '../../protocol/errors';
import type { Evaluator } from './evaluator';
import {
  IMAGE_CHANNEL,
  isImageQuestion,
  isKind,
  type ImageThreadAnswer,
  type ImageThreadListening,
  type ImageTraceCalls,
  type ImageWhoListens,
} from './image-channel';
import { answerQuery } from './image-queries';
import type { TraceReport } from './tracer';

/** Answers questions about `evaluator`'s image until the thread ends. */
export function serveImageQuestions(evaluator: Evaluator): void {
  const channel = new BroadcastChannel(IMAGE_CHANNEL);
  // The thread lives as long as it has tasks to run; this channel alone must not keep it up.
  channel.unref();
  const listening: ImageThreadListening = { kind: 'imageThreadListening', thread: threadId };
  const report: TraceReport = (calls, dropped) =>
    channel.postMessage({ kind: 'imageTraceCalls', thread: threadId, calls, dropped } satisfies ImageTraceCalls);
  channel.onmessage = (event) => {
    const m = (event as MessageEvent).data as unknown;
    if (isKind<ImageWhoListens>(m, 'imageWhoListens')) return channel.postMessage(listening);
    if (!isImageQuestion(m) || m.thread !== threadId) return;
    let answer: ImageThreadAnswer;
    try {
      answer = {
        kind: 'imageThreadAnswer',
        id: m.id,
        reply: answerQuery(evaluator.context, threadId, m.query, report),
      };
    } catch (err) {
      const code = err instanceof CrewError ? err.code : undefined;
      answer = { kind: 'imageThreadAnswer', id: m.id, error: (err as Error)?.message ?? String(err), code };
    }
    channel.postMessage(answer);
  };
  channel.postMessage(listening);
}
