/**
 * The inspector's view of a value that stays on its worker, as SLIME's inspector shows one:
 * a summary, and children read a page at a time, so a Map of a million entries is never sent
 * whole. Shared by the link (`image-messages.ts`) and the editor (`lsp-inspect-messages.ts`).
 */

/** A value held behind a handle, as first shown. */
export interface InspectNode {
  /** The handle that holds it, for its children; numbered per eval thread. */
  handle: number;
  /** The eval thread that holds it: a restart makes a new one, and the handle is gone. */
  thread: number;
  kind: string;
  /** One line, bounded. */
  summary: string;
  /** How many children it has (entries of a Map or Set, elements, own properties...). */
  total: number;
}

/** One child of a held value, not held itself until it is opened. */
export interface InspectChild {
  /** Its place among its parent's children, to open it by. */
  index: number;
  /** Its key, index or name, printed (`'a'`, `0`, `[[Prototype]]`...). */
  name: string;
  kind: string;
  summary: string;
  /** Whether it has children of its own. */
  expandable: boolean;
}

export interface InspectPage {
  children: InspectChild[];
  /** Children in all, as in {@link InspectNode.total}: it may change while the value lives. */
  total: number;
}
