/**
 * The `crew/image...` requests: the editor asks the master about the live images, the
 * workers' and the master's own, for completion, hover and argument lists. The master asks
 * only the workers that run nothing, answers with what came back within
 * {@link IMAGE_ANSWER_MS}, and keeps answers until the worker's next evaluation.
 */
import { RequestType } from 'vscode-jsonrpc';

/** How long the master waits for workers' answers before answering with what it has. */
export const IMAGE_ANSWER_MS = 150;

/** Where a name is looked up. */
export type ImageCompleteContext = 'name' | 'member' | 'storeKey' | 'agentName';

export interface ImageCompleteParams {
  /**
   * - `name`: a global of the images;
   * - `member`: a member of the object at `path` (`crewBag.` gives `['crewBag']`);
   * - `storeKey`: a key of `store`;
   * - `agentName`: a registered agent's name.
   */
  context: ImageCompleteContext;
  /** Property names from a global down to the object, for `member`. */
  path?: string[];
  /** What the user has typed of the name so far. */
  prefix?: string;
}

/** One name, merged across the images that define it. */
export interface ImageCompletion {
  label: string;
  /** Its run-time kind; kinds that differ between images are joined with ` | `. */
  kind: string;
  /** The images that define it, in worker order: `w1`, `w2`..., or `master`. */
  where: string[];
  /** A function's parameters, from its source. */
  params?: string[];
}

/** A worker whose answer is not in the result, and why. */
export interface ImageMissing {
  worker: string;
  why: 'busy' | 'slow' | 'error';
  /** What went wrong, for `error`. */
  message?: string;
}

export interface ImageCompleteResult {
  items: ImageCompletion[];
  /** More names matched than were sent: typing more narrows them. */
  truncated?: boolean;
  /** Workers not heard from: asking again later may find more. */
  missing: ImageMissing[];
}

/** Names from the live images: the master's and each idle worker's. */
export namespace ImageComplete {
  export const method = 'crew/imageComplete';
  export const type = new RequestType<ImageCompleteParams, ImageCompleteResult, void>(method);
}

export interface ImageDescribeParams {
  /** The value's path: a global, then property names (`crewBag.size` is `['crewBag', 'size']`). */
  path: string[];
}

/** One printed value, with the images that hold it (equal values are folded). */
export interface ImageValue {
  where: string[];
  kind: string;
  printed: string;
}

export interface ImageDescribeResult {
  /** The value in each image that has it, folded when equal; empty when none has it. */
  values: ImageValue[];
  /** For a function: its name and parameters, from the first image that has it. */
  signature?: { name: string; params: string[] };
  missing: ImageMissing[];
}

/** A name's live value on each worker (and the master), for hover and argument lists. */
export namespace ImageDescribe {
  export const method = 'crew/imageDescribe';
  export const type = new RequestType<ImageDescribeParams, ImageDescribeResult, void>(method);
}
