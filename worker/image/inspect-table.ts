/**
 * Values the inspector holds in an image, behind handles: opened lazily, read a page of
 * children at a time (a Map of a million entries never leaves whole), and let go when the
 * editor releases them. At most {@link MAX_HELD} are held; beyond that the least recently used
 * goes, so what the inspector keeps alive on a worker stays bounded. A getter is never called.
 */
import { inspect, types } from 'node:util';
import vm from 'node:vm';
import { CrewError, ErrorCodes } from '../../protocol/errors';
import type { InspectChild, InspectNode, InspectPage } from '../../protocol/messages/inspect-nodes';
import { kindOf } from './introspect';
import { builtinRoots } from './realm';

/** Most values held per image. */
export const MAX_HELD = 1000;
/** Most children in one page. */
export const MAX_PAGE = 500;
/** How long an expression to inspect may run: it runs between tasks. */
const EXPRESSION_TIMEOUT_MS = 1500;
const SUMMARY = { depth: 0, maxArrayLength: 5, maxStringLength: 120, breakLength: Infinity, customInspect: false };
const MAX_SUMMARY = 200;
const MAX_SOURCE = 4000;

/** A child before it is summarised: its name, and its value or why it has none. */
interface Slot {
  name: string;
  value?: unknown;
  /** An accessor: shown, never called. */
  accessor?: 'getter' | 'setter';
}

interface Held {
  value: unknown;
  /** The keys of a plain object, listed once. */
  keys?: (string | symbol)[];
  /** Where the last page of a Map or Set ended, to go on from there without walking from the start. */
  cursor?: { offset: number; entries: Iterator<[unknown, unknown]> };
}

export class InspectTable {
  private nextHandle = 1;
  /** In order of last use: the first is the next to go. */
  private readonly held = new Map<number, Held>();

  private readonly roots: ReadonlySet<unknown>;

  constructor(
    private readonly context: vm.Context,
    readonly thread: number,
  ) {
    this.roots = builtinRoots(context);
  }

  /** Evaluates `expression` in the image and holds its value. */
  open(expression: string): InspectNode {
    const value: unknown = vm.runInContext(expression, this.context, { timeout: EXPRESSION_TIMEOUT_MS });
    return this.hold(value);
  }

  /** Holds child `index` of the value behind `handle`. */
  openChild(handle: number, index: number): InspectNode {
    const slot = this.slotAt(this.use(handle), index);
    if (!slot || slot.accessor) throw new CrewError(ErrorCodes.BadArgument, `value #${handle} has no child ${index}`);
    return this.hold(slot.value);
  }

  page(handle: number, offset: number, count: number): InspectPage {
    const h = this.use(handle);
    const children: InspectChild[] = [];
    const end = offset + Math.min(count, MAX_PAGE);
    for (let i = offset; i < end; i++) {
      const slot = this.slotAt(h, i);
      if (!slot) break;
      children.push(childOf(i, slot, this.roots));
    }
    return { children, total: totalOf(h, this.roots) };
  }

  release(handles: readonly number[]): void {
    for (const handle of handles) this.held.delete(handle);
  }

  private hold(value: unknown): InspectNode {
    const handle = this.nextHandle++;
    const h: Held = { value };
    this.held.set(handle, h);
    if (this.held.size > MAX_HELD) this.held.delete(this.held.keys().next().value!);
    return {
      handle,
      thread: this.thread,
      kind: kindOf(value),
      summary: summaryOf(value),
      total: totalOf(h, this.roots),
    };
  }

  private use(handle: number): Held {
    const h = this.held.get(handle);
    if (!h)
      throw new CrewError(
        ErrorCodes.InspectGone,
        `value #${handle} is no longer held on this worker: it was released, or let go because at most ` +
          `${MAX_HELD} values are held (the least recently used go first); inspect it again`,
      );
    this.held.delete(handle);
    this.held.set(handle, h);
    return h;
  }

  private slotAt(h: Held, index: number): Slot | undefined {
    const v = h.value;
    if (types.isMap(v) || types.isSet(v)) return entryAt(h, v as Map<unknown, unknown>, index);
    if (Array.isArray(v) || types.isTypedArray(v)) {
      const list = v as ArrayLike<unknown>;
      return index < list.length ? { name: String(index), value: list[index] } : undefined;
    }
    if (!isObjectLike(v)) return undefined;
    const pseudo = pseudoSlots(v, this.roots);
    if (index < pseudo.length) return pseudo[index];
    h.keys ??= Reflect.ownKeys(v);
    const key = h.keys[index - pseudo.length];
    if (key === undefined) return undefined;
    const desc = Object.getOwnPropertyDescriptor(v, key);
    const name = typeof key === 'symbol' ? `[${key.toString()}]` : key;
    if (!desc) return { name, value: undefined };
    if ('value' in desc) return { name, value: desc.value };
    return { name, accessor: desc.get ? 'getter' : 'setter' };
  }
}

/** The entry `index` of a Map or Set, going on from the last page when it can. */
function entryAt(h: Held, v: Map<unknown, unknown>, index: number): Slot | undefined {
  if (index >= v.size) return undefined;
  if (!h.cursor || h.cursor.offset > index) h.cursor = { offset: 0, entries: v.entries() };
  let next = h.cursor.entries.next();
  while (!next.done && h.cursor.offset < index) {
    h.cursor.offset++;
    next = h.cursor.entries.next();
  }
  h.cursor.offset++;
  if (next.done) return undefined;
  const [key, value] = next.value;
  return types.isSet(v) ? { name: String(index), value } : { name: summaryOf(key), value };
}

/** What an object shows before its own keys: a function's source, and its prototype. */
function pseudoSlots(v: object, roots: ReadonlySet<unknown>): Slot[] {
  const slots: Slot[] = [];
  if (typeof v === 'function') {
    let source = '';
    try {
      source = Function.prototype.toString.call(v).slice(0, MAX_SOURCE);
    } catch {
      /* a function without source */
    }
    slots.push({ name: '[[Source]]', value: source });
  }
  if (types.isProxy(v)) return slots;
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto !== null && !roots.has(proto)) slots.push({ name: '[[Prototype]]', value: proto });
  return slots;
}

function totalOf(h: Held, roots: ReadonlySet<unknown>): number {
  const v = h.value;
  if (types.isMap(v) || types.isSet(v)) return (v as Map<unknown, unknown>).size;
  if (Array.isArray(v) || types.isTypedArray(v)) return (v as ArrayLike<unknown>).length;
  if (!isObjectLike(v)) return 0;
  h.keys ??= Reflect.ownKeys(v);
  return pseudoSlots(v, roots).length + h.keys.length;
}

function childOf(index: number, slot: Slot, roots: ReadonlySet<unknown>): InspectChild {
  if (slot.accessor)
    return { index, name: slot.name, kind: slot.accessor, summary: `(${slot.accessor})`, expandable: false };
  const v = slot.value;
  const expandable = isObjectLike(v) && (typeof v === 'function' || totalOf({ value: v }, roots) > 0);
  return { index, name: slot.name, kind: kindOf(v), summary: summaryOf(v), expandable };
}

function summaryOf(v: unknown): string {
  const text = inspect(v, SUMMARY);
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
}

function isObjectLike(v: unknown): v is object {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}
