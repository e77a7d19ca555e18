/**
 * The eval thread's side of questions about its image (see image-channel.ts). A question is
 * read between tasks: the main thread sends one only while the thread runs nothing.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads';
import type { Evaluator } from './evaluator';
import { IMAGE_CHANNEL, isImageQuestion, type ImageThreadAnswer } from './image-channel';
import { introspect } from './introspect';

/** Answers questions about `evaluator`'s image until the thread ends. */
export function serveImageQuestions(evaluator: Evaluator): void {
  const channel = new BroadcastChannel(IMAGE_CHANNEL);
  // The thread lives as long as it has tasks to run; this channel alone must not keep it up.
  channel.unref();
  channel.onmessage = (event) => {
    const m = (event as MessageEvent).data as unknown;
    if (!isImageQuestion(m) || m.thread !== threadId) return;
    let answer: ImageThreadAnswer;
    try {
      answer = { kind: 'imageThreadAnswer', id: m.id, reply: introspect(evaluator.context, m.query) };
    } catch (err) {
      answer = { kind: 'imageThreadAnswer', id: m.id, error: (err as Error)?.message ?? String(err) };
    }
    channel.postMessage(answer);
  };
}
