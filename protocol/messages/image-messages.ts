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
import {
  anyObject,
  arrayOf,
  bool,
  claim,
  intFrom,
  num,
  optional,
  shape,
  str,
  variant,
  type Infer,
} from './field-checks';
import type { InspectNode, InspectPage } from './inspect-nodes';
import { message, type MessageOf, type SentBy } from './link-message';

/** Property names from a global down to the object meant (empty for the global object), and a name's start. */
const pathFields = { path: arrayOf(str), prefix: optional(str) };
/** A value the inspector holds on the worker: its handle, and the eval thread that holds it. */
const heldFields = { handle: intFrom(1), thread: num };

/**
 * What is asked of an image.
 * - `names`: its globals that start with `prefix`;
 * - `members`: the keys of the object at `path` (own and inherited) that start with `prefix`;
 * - `storeKeys`: the keys of the worker's `store` that are strings starting with `prefix`;
 * - `describe`: the value at `path`, printed, with a function's parameters;
 * - `inspect`: evaluates `expression` and holds its value behind a handle, for the inspector;
 * - `inspectChild`: holds the child `index` of a held value behind a handle of its own;
 * - `inspectPage`: `count` children of a held value from `offset`, each summarised;
 * - `inspectRelease`: lets the held values go;
 * - `trace`: wraps the function at `path` so that each call is reported ({@link ImageTraced});
 * - `untrace`: puts the original back.
 */
const imageQuery = variant('op', {
  names: pathFields,
  members: pathFields,
  storeKeys: pathFields,
  describe: pathFields,
  inspect: { expression: str },
  inspectChild: { ...heldFields, index: intFrom(0) },
  inspectPage: { ...heldFields, offset: intFrom(0), count: intFrom(1) },
  inspectRelease: { handles: arrayOf(num) },
  trace: { path: arrayOf(str) },
  untrace: { path: arrayOf(str) },
});
export type ImageQuery = Infer<typeof imageQuery>;
/** The questions about names and values at a path, for completion and hover. */
export type PathQuery = Extract<ImageQuery, { op: 'names' | 'members' | 'storeKeys' | 'describe' }>;

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
  /** A value the inspector now holds (`inspect`, `inspectChild`). */
  node?: InspectNode;
  /** Children of a held value (`inspectPage`). */
  page?: InspectPage;
  /** The worker runs a task: the change (`trace`, `inspectRelease`) is made after it. */
  queued?: boolean;
  /** The name now traced (`trace`). */
  traced?: string;
}

/** One call of a traced function, printed on the worker. */
const traceCall = shape({
  /** The traced name (`crewF`, `lib.area`). */
  name: str,
  /** The arguments, printed and bounded. */
  args: str,
  /** Whether it returned (or its promise fulfilled); false when it threw (or rejected). */
  ok: bool,
  /** The result or the error, printed and bounded. */
  value: str,
  ms: num,
  /** When the call began, in ms since the epoch. */
  at: num,
});
export type TraceCall = Infer<typeof traceCall>;

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
    /** Crew's code for `message`, when it has one (`CREW_INSPECT_GONE`...). */
    code: optional(str),
  });
  export type Msg = MessageOf<typeof type>;
}

export namespace ImageTraced {
  /**
   * worker -> master: calls of traced functions, a batch at a time; `dropped` calls were not
   * recorded, as at most a few hundred a second are.
   */
  export const type = message('imageTraced', 'worker', { calls: arrayOf(traceCall), dropped: num });
  export type Msg = MessageOf<typeof type>;
}

/** This file's messages, for the link's table. */
export const imageMessageTypes = [ImageAsk.type, ImageAnswer.type, ImageTraced.type] as const;
type Image = (typeof imageMessageTypes)[number];

export type ImageToWorker = SentBy<Image, 'master'>;
export type ImageToMaster = SentBy<Image, 'worker'>;
