/**
 * How a worker's main thread asks its eval thread about the image, beside the tasks: a
 * `BroadcastChannel` of the process, so that asking needs no change to how tasks travel. Each
 * question names the eval thread it is for (a fresh thread after a restart has a new id) and
 * carries a number its answer repeats. A channel drops what is posted before its peer listens,
 * so an eval thread says when it listens ({@link ImageThreadListening}), and again whenever
 * the main thread's channel opens and asks ({@link ImageWhoListens}).
 */
import type { ImageQuery, ImageReply, TraceCall } from '../../protocol/messages/image-messages';

export const IMAGE_CHANNEL = 'crew:image';

/** main -> eval: a question for the eval thread `thread`. */
export interface ImageQuestion {
  kind: 'imageQuestion';
  thread: number;
  id: number;
  query: ImageQuery;
}

/** eval -> main: the answer to question `id`. */
export interface ImageThreadAnswer {
  kind: 'imageThreadAnswer';
  id: number;
  reply?: ImageReply;
  /** Why the image could not answer. */
  error?: string;
  /** Crew's code for `error`, when it has one. */
  code?: string;
}

/** eval -> main: the eval thread `thread` listens for questions. */
export interface ImageThreadListening {
  kind: 'imageThreadListening';
  thread: number;
}

/** eval -> main: calls of traced functions in the thread `thread`, and how many were not recorded. */
export interface ImageTraceCalls {
  kind: 'imageTraceCalls';
  thread: number;
  calls: TraceCall[];
  dropped: number;
}

/** main -> eval: which eval threads listen? */
export interface ImageWhoListens {
  kind: 'imageWhoListens';
}

/** Whether `m` is a message of this channel of kind `kind`. */
export function isKind<M extends { kind: string }>(m: unknown, kind: M['kind']): m is M {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === kind;
}

export function isImageQuestion(m: unknown): m is ImageQuestion {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'imageQuestion';
}

export function isImageThreadAnswer(m: unknown): m is ImageThreadAnswer {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'imageThreadAnswer';
}
