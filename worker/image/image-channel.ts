/**
 * How a worker's main thread asks its eval thread about the image, beside the tasks: a
 * `BroadcastChannel` of the process, so that asking needs no change to how tasks travel. Each
 * question names the eval thread it is for (a fresh thread after a restart has a new id) and
 * carries a number its answer repeats.
 */
import type { ImageQuery, ImageReply } from '../../protocol/messages/image-messages';

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
}

export function isImageQuestion(m: unknown): m is ImageQuestion {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'imageQuestion';
}

export function isImageThreadAnswer(m: unknown): m is ImageThreadAnswer {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'imageThreadAnswer';
}
