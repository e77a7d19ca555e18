/**
 * The `crew/inspect...` requests of the editor's inspector (*Crew: Inspect*): a value stays on
 * its worker (or the master) behind a handle, and the editor reads it a page of children at
 * a time, opening children lazily, and releases the handles when its view lets them go. A
 * request for a worker that runs a task fails with `CREW_WORKER_RUNNING` at once; one for a
 * value its worker no longer holds (released, evicted, or the worker restarted) with
 * `CREW_INSPECT_GONE` and a message that says which.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { InspectNode, InspectPage } from './inspect-nodes';

export type { InspectChild, InspectNode, InspectPage } from './inspect-nodes';

/** Most children the editor may ask for in one page. */
export const INSPECT_PAGE_MAX = 500;

export interface InspectOpenParams {
  /** A worker id (`w1`), or `master`. */
  worker: string;
  /** Evaluated in that image, between tasks, with a short time limit. */
  expression: string;
}

/** A held value: where it is held, and its handle there. */
export interface InspectHeld {
  worker: string;
  handle: number;
  /** The eval thread that holds it, from {@link InspectNode.thread}. */
  thread: number;
}

export interface InspectChildParams extends InspectHeld {
  index: number;
}

export interface InspectPageParams extends InspectHeld {
  offset: number;
  count: number;
}

export interface InspectReleaseParams {
  worker: string;
  handles: number[];
}

export namespace InspectOpen {
  export const method = 'crew/inspectOpen';
  export const type = new RequestType<InspectOpenParams, InspectNode, void>(method);
}

/** Holds one child of a held value behind a handle of its own. */
export namespace InspectChildOpen {
  export const method = 'crew/inspectChild';
  export const type = new RequestType<InspectChildParams, InspectNode, void>(method);
}

export namespace InspectPageRead {
  export const method = 'crew/inspectPage';
  export const type = new RequestType<InspectPageParams, InspectPage, void>(method);
}

/** Lets held values go; the worker drops them between tasks. */
export namespace InspectRelease {
  export const method = 'crew/inspectRelease';
  export const type = new RequestType<InspectReleaseParams, { released: number }, void>(method);
}
