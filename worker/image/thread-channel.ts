/**
 * The main thread's end of the image channel (see image-channel.ts), shared by every eval
 * thread of the process (a worker serving several masters has one per session): questions
 * wait until their thread listens, answers go to whoever waits for them, and trace records go
 * to the master of the thread that made them.
 */
import { BroadcastChannel } from 'node:worker_threads';
import {
  IMAGE_CHANNEL,
  isImageThreadAnswer,
  isKind,
  type ImageQuestion,
  type ImageThreadAnswer,
  type ImageThreadListening,
  type ImageTraceCalls,
  type ImageWhoListens,
} from './image-channel';

/** Questions kept for an eval thread that does not listen yet; each is answered by its timer anyway. */
const MAX_EARLY = 64;
/** Eval threads remembered as listening: thread ids only grow, so old ones are let go. */
const MAX_THREADS = 64;

let channel: BroadcastChannel | undefined;
const waiting = new Map<number, (answer: ImageThreadAnswer) => void>();
const listening = new Set<number>();
const early = new Map<number, ImageQuestion[]>();
const traceSinks = new Map<number, (calls: ImageTraceCalls) => void>();
const listeners = new Set<(thread: number) => void>();

function opened(): BroadcastChannel {
  if (channel) return channel;
  const c = (channel = new BroadcastChannel(IMAGE_CHANNEL));
  c.unref();
  c.onmessage = (event) => {
    const m = (event as MessageEvent).data as unknown;
    if (isImageThreadAnswer(m)) return waiting.get(m.id)?.(m);
    if (isKind<ImageTraceCalls>(m, 'imageTraceCalls')) return traceSinks.get(m.thread)?.(m);
    if (!isKind<ImageThreadListening>(m, 'imageThreadListening')) return;
    listening.add(m.thread);
    if (listening.size > MAX_THREADS) listening.delete(listening.values().next().value!);
    const ready = early.get(m.thread) ?? [];
    early.delete(m.thread);
    for (const q of ready) c.postMessage(q);
    for (const listener of listeners) listener(m.thread);
  };
  // An eval thread that started before this channel opened said so to nobody: ask again.
  c.postMessage({ kind: 'imageWhoListens' } satisfies ImageWhoListens);
  return c;
}

/** Posts a question now, or once its eval thread listens; `onAnswer` gets the answer, if one comes. */
export function postQuestion(q: ImageQuestion, onAnswer?: (answer: ImageThreadAnswer) => void): void {
  if (onAnswer) waiting.set(q.id, onAnswer);
  const c = opened();
  if (listening.has(q.thread)) return c.postMessage(q);
  // Only the newest thread's questions are kept: one for a thread replaced since is moot.
  for (const thread of early.keys()) if (thread < q.thread) early.delete(thread);
  early.set(q.thread, [...(early.get(q.thread) ?? []), q].slice(-MAX_EARLY));
}

/** Stops waiting for the answer to question `id`. */
export function forget(id: number): void {
  waiting.delete(id);
}

/** Where the trace records of eval thread `thread` go (its session's master). */
export function traceTo(thread: number, sink: (calls: ImageTraceCalls) => void): void {
  traceSinks.set(thread, sink);
  if (traceSinks.size > MAX_THREADS) traceSinks.delete(traceSinks.keys().next().value!);
}

/** Calls `listener` with each eval thread that starts listening (a fresh one after a restart, say). */
export function onListening(listener: (thread: number) => void): void {
  opened();
  listeners.add(listener);
}
