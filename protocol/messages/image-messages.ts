/**
 * Questions the master asks a worker about its live image, for the editor's completion,
 * hover and argument lists, declared here once:
 *
 * - server/lsp/image-asker.ts sends {@link ImageAsk} only to a worker that runs nothing, and
 *   waits for {@link ImageAnswer} no longer than the editor can wait;
 * - worker/image/image-requests.ts (the worker's main thread) answers at once that it is busy,
 *   or hands the question to the eval thread, where worker/image/introspect.ts reads the
 *   image without running user code (no getter is called).
 */
import { anyObject, arrayOf, bool, claim, num, oneOf, optional, shape, str, type Infer } from './field-checks';
import { message, type MessageOf, type SentBy } from './link-message';

/**
 * What is asked of an image.
 * - `names`: its globals that start with `prefix`;
 * - `members`: the keys of the object at `path` (own and inherited) that start with `prefix`;
 * - `storeKeys`: the keys of the worker's `store` that are strings starting with `prefix`;
 * - `describe`: the value at `path`, printed, with a function's parameters.
 */
const imageQuery = shape({
  op: oneOf('names', 'members', 'storeKeys', 'describe'),
  /** Property names from a global down to the object meant; empty for the global object. */
  path: arrayOf(str),
  prefix: optional(str),
});
export type ImageQuery = Infer<typeof imageQuery>;

/** One name an image defines. */
export interface ImageEntry {
  name: string;
  /** Its run-time kind: `function`, `class`, `number`, `Map`, a class's name... */
  kind: string;
  /** A function's parameters, as its source declares them. */
  params?: string[];
}

/** A value at a path, as the image holds it. */
export interface ImageDescription {
  /** False when the path names nothing (or passes through a getter, which is never called). */
  found: boolean;
  kind: string;
  /** The value printed by `util.inspect`, bounded in depth and length. */
  printed: string;
  /** A function's name and its parameters, as its source declares them. */
  name?: string;
  params?: string[];
}

/** The answer to an {@link ImageQuery}: entries for the listing ops, a description for `describe`. */
export interface ImageReply {
  entries?: ImageEntry[];
  /** More entries matched than were sent. */
  truncated?: boolean;
  description?: ImageDescription;
}

export namespace ImageAsk {
  /** master -> worker: a question about the worker's image. */
  export const type = message('imageAsk', 'master', { reqId: num, query: imageQuery });
  export type Msg = MessageOf<typeof type>;
}
export namespace ImageAnswer {
  /**
   * worker -> master: the answer to `reqId`; or `busy`, when the worker runs something and was
   * not asked; or `message`, when the image could not answer.
   */
  export const type = message('imageAnswer', 'worker', {
    reqId: num,
    ok: bool,
    busy: optional(bool),
    reply: optional(claim<ImageReply>()(anyObject)),
    message: optional(str),
  });
  export type Msg = MessageOf<typeof type>;
}

/** This file's messages, for the link's table. */
export const imageMessageTypes = [ImageAsk.type, ImageAnswer.type] as const;
type Image = (typeof imageMessageTypes)[number];

export type ImageToWorker = SentBy<Image, 'master'>;
export type ImageToMaster = SentBy<Image, 'worker'>;
