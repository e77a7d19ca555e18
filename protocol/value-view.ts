/**
 * Printing a value for a person at a bounded cost. A value received from a worker can be tiny
 * on the wire and astronomically large as a tree: V8's serializer writes a repeated object as a
 * back-reference, so `[o, o]` nested 40 deep is 289 bytes and 2^40 leaves, and `util.inspect`
 * or `JSON.stringify` walks every one of them. Here a value is first copied into a small tree
 * that holds at most `nodes` values (each occurrence of a shared one counts again) and
 * `chars` characters, cut at `depth` and at `items` entries per container, with a note
 * wherever it was cut; only that copy is printed.
 */
import { inspect, types, type InspectOptions, type InspectOptionsStylized } from 'node:util';

/** How much of a value a view shows. */
export interface ViewLimits {
  /** Levels of nesting shown; deeper containers print as `[Array]`, `[Object]`. */
  depth: number;
  /** Entries shown per array, Map, Set or object. */
  items: number;
  /** Characters shown per string. */
  stringChars: number;
  /** Values visited in all, each occurrence of a shared value counted again. */
  nodes: number;
  /** Characters of the whole text. */
  chars: number;
}

/** Marks where the budget, rather than `items`, cut a view. */
const TRUNCATED = '… truncated';
/** The note for `rest` entries left out: by `items` (`... 5 more items`, as inspect says) or by the budget. */
const more = (rest: string, budget: boolean) => (budget ? `[${TRUNCATED}: ${rest}]` : `... ${rest}`);

/** Printed as its text, unquoted: the notes that say where a view was cut. */
class Note {
  constructor(readonly text: string) {}
  [inspect.custom](_depth: number, options: InspectOptionsStylized): string {
    return options.stylize(this.text, 'special');
  }
}

/** A Map, Set or object shown in part: printed as itself, with a note before its closing brace. */
class Partial {
  constructor(
    readonly shown: object,
    readonly size: number | undefined,
    readonly note: string,
  ) {}
  [inspect.custom](_depth: number, options: InspectOptionsStylized, print: typeof inspect): string {
    let text = print(this.shown, options);
    // The header counts what the copy holds: `Map(200) {` of a Map of a million.
    if (this.size !== undefined) text = text.replace(/^([^({]*)\(\d+\)/, `$1(${this.size})`);
    const note = options.stylize(this.note, 'special');
    if (text.endsWith('{}')) return `${text.slice(0, -2)}{ ${note} }`;
    if (text.endsWith('\n}')) return `${text.slice(0, -2)},\n  ${note}\n}`;
    return text.endsWith(' }') ? `${text.slice(0, -2)}, ${note} }` : `${text} ${note}`;
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} more ${n === 1 ? one : many}`;

/** Types with internal state that a copy of their properties would not show: printed shallowly. */
const OPAQUE: ((v: object) => boolean)[] = [types.isProxy, types.isPromise, types.isWeakMap, types.isWeakSet];
OPAQUE.push(types.isBoxedPrimitive, types.isGeneratorObject, types.isModuleNamespaceObject, types.isExternal);
OPAQUE.push(types.isMapIterator, types.isSetIterator, types.isArgumentsObject);

function opaque(v: object): boolean {
  return typeof v === 'function' || OPAQUE.some((is) => is(v)) || inspect.custom in v;
}

/** The name inspect gives a container it does not open: `[Array]`, `[Object]`, `[Foo]`. */
function closedName(v: object): string {
  if (Array.isArray(v)) return '[Array]';
  if (types.isProxy(v)) return '[Object]'; // its traps are user code: not asked
  const ctor = (Object.getOwnPropertyDescriptor(Object.getPrototypeOf(v) ?? {}, 'constructor') ?? {}).value as unknown;
  const name = typeof ctor === 'function' ? ctor.name : '';
  return `[${name || 'Object'}]`;
}

/** Copies a value into a tree that is cheap to print, spending at most the limits' budget. */
class Copier {
  private nodes = 0;
  private chars = 0;
  /** Containers on the path from the root: a reference to one is a cycle. */
  private readonly path = new Set<object>();
  /** Each object's keys, listed once however often the object recurs. */
  private readonly keysOf = new Map<object, (string | symbol)[]>();

  constructor(
    private readonly limits: ViewLimits,
    private readonly options: InspectOptions,
  ) {}

  private get spent(): boolean {
    return this.nodes >= this.limits.nodes || this.chars >= this.limits.chars;
  }

  copy(v: unknown, depth: number): unknown {
    this.nodes++;
    if (typeof v === 'string') {
      this.chars += Math.min(v.length, this.limits.stringChars) + 2;
      return v;
    }
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null) {
      this.chars += 4;
      return v;
    }
    // Every reference back up the path prints as one note: the copy is a tree, never a graph.
    if (this.path.has(v)) return new Note('[Circular]');
    if (depth > this.limits.depth) return new Note(closedName(v));
    if (opaque(v)) return this.shallow(v);
    if (ArrayBuffer.isView(v) || types.isAnyArrayBuffer(v)) {
      // inspect shows at most `items` elements of these, without walking the rest.
      this.chars += 4 * this.limits.items;
      return v;
    }
    if (types.isDate(v)) return new Date(Date.prototype.getTime.call(v));
    if (types.isRegExp(v)) {
      const { source, flags } = v as RegExp;
      return source.length <= this.limits.stringChars ? new RegExp(source, flags) : this.shallow(v);
    }
    this.path.add(v);
    try {
      if (Array.isArray(v)) return this.array(v, depth);
      if (types.isMap(v) || types.isSet(v)) return this.collection(v as Map<unknown, unknown> | Set<unknown>, depth);
      const copy = types.isNativeError(v) || v instanceof Error ? this.error(v as Error) : undefined;
      return this.properties(v, copy ?? Object.create(Object.getPrototypeOf(v) as object | null), depth);
    } finally {
      this.path.delete(v);
    }
  }

  /** A value whose inside only inspect knows how to show, one level deep and clipped. */
  private shallow(v: object): Note {
    const text = inspect(v, { ...this.options, depth: 0, maxArrayLength: this.limits.items });
    return new Note(this.clip(text));
  }

  private clip(text: string): string {
    const room = Math.max(0, Math.min(this.limits.stringChars, this.limits.chars - this.chars));
    this.chars += Math.min(text.length, room);
    return text.length <= room ? text : `${text.slice(0, room)} [${TRUNCATED}]`;
  }

  private array(v: unknown[], depth: number): unknown[] {
    const copy: unknown[] = [];
    const length = v.length;
    let i = 0;
    for (; i < Math.min(length, this.limits.items) && !this.spent; i++) {
      const d = Object.getOwnPropertyDescriptor(v, i);
      if (!d) return this.sparse(v, depth);
      this.copyEntry(copy, i, d, depth);
    }
    // Cut at `items`, the copy keeps the length, and inspect itself says `... 5 more items` (and
    // lays the shown ones out as it would); cut by the budget, a note says so.
    if (i < length && i < this.limits.items) {
      copy.length = i;
      copy.push(new Note(more(plural(length - i, 'item'), true)));
    } else {
      copy.length = length;
      // inspect right-aligns a column of numbers after looking one past what it shows.
      const next = i < length ? Object.getOwnPropertyDescriptor(v, i) : undefined;
      if (next && (typeof next.value === 'number' || typeof next.value === 'bigint')) copy[i] = next.value;
    }
    // Named properties of a short array (a RegExp match's `index`): a long one is not listed.
    if (length <= this.limits.items) {
      const named = this.keys(v).filter((k) => typeof k === 'symbol' || !/^\d+$/.test(k));
      const partial = this.copyKeys(v, copy, named, depth);
      if (partial) copy.push(new Note(partial));
    }
    return copy;
  }

  /** An array with holes: its first elements by its keys, wherever they sit, and its length. */
  private sparse(v: unknown[], depth: number): unknown[] {
    const copy: unknown[] = [];
    let shown = 0;
    // Index keys come first, in order.
    for (const k of this.keys(v)) {
      if (typeof k !== 'string' || !/^\d+$/.test(k) || shown++ >= this.limits.items || this.spent) break;
      this.copyEntry(copy, Number(k), Object.getOwnPropertyDescriptor(v, k)!, depth);
    }
    copy.length = v.length;
    return copy;
  }

  private copyEntry(copy: unknown[], i: number, d: PropertyDescriptor, depth: number): void {
    if ('value' in d) copy[i] = this.copy(d.value, depth + 1);
    else Object.defineProperty(copy, i, { ...d, configurable: true });
  }

  private collection(v: Map<unknown, unknown> | Set<unknown>, depth: number): unknown {
    const map = types.isMap(v);
    const copy: Map<unknown, unknown> | Set<unknown> = map ? new Map() : new Set();
    const proto = Object.getPrototypeOf(v) as object;
    // A subclass keeps its name (`Cache(2) [Map] {`).
    if ((proto as { constructor?: { name?: string } }).constructor?.name !== (map ? 'Map' : 'Set'))
      Object.setPrototypeOf(copy, proto);
    const entries = map ? Map.prototype.entries.call(v) : Set.prototype.values.call(v);
    let shown = 0;
    for (const entry of entries) {
      if (shown >= this.limits.items || this.spent) break;
      if (map) {
        const [k, val] = entry as [unknown, unknown];
        (copy as Map<unknown, unknown>).set(this.copy(k, depth + 1), this.copy(val, depth + 1));
      } else (copy as Set<unknown>).add(this.copy(entry, depth + 1));
      shown++;
    }
    const size = v.size;
    if (shown >= size) return copy;
    return new Partial(copy, size, more(plural(size - shown, 'item'), shown < this.limits.items));
  }

  /** An Error of the same kind, with the original's stack and message, its cause and errors after. */
  private error(v: Error): Error {
    const copy = new Error();
    Object.setPrototypeOf(copy, Object.getPrototypeOf(v) as object);
    for (const k of ['stack', 'message'] as const) {
      const d = Object.getOwnPropertyDescriptor(v, k);
      const text = d && 'value' in d ? (d.value as unknown) : undefined;
      Object.defineProperty(copy, k, {
        value: typeof text === 'string' ? this.clip(text) : text,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }

  /** Copies an object's own enumerable properties, with `cause` and `errors` of an Error. */
  private properties(v: object, copy: object, depth: number): unknown {
    if (copy instanceof Error)
      for (const k of ['cause', 'errors']) {
        const d = Object.getOwnPropertyDescriptor(v, k);
        if (d && !d.enumerable && 'value' in d)
          Object.defineProperty(copy, k, { value: this.copy(d.value, depth + 1), configurable: true });
      }
    const keys = this.keys(v);
    const partial = this.copyKeys(v, copy, keys, depth);
    return partial ? new Partial(copy, undefined, partial) : copy;
  }

  /** Copies `keys` of `v` onto `copy` as far as the budget goes; returns the note for the rest. */
  private copyKeys(v: object, copy: object, keys: (string | symbol)[], depth: number): string | undefined {
    let i = 0;
    for (; i < Math.min(keys.length, this.limits.items) && !this.spent; i++) {
      const d = Object.getOwnPropertyDescriptor(v, keys[i]);
      if (!d) continue;
      // inspect prints a key whole: a long one is cut here.
      const key = typeof keys[i] === 'string' ? this.clip(keys[i] as string) : keys[i];
      // An accessor is copied as it is: inspect shows `[Getter]` without calling it.
      const value = 'value' in d ? { value: this.copy(d.value, depth + 1), writable: true } : d;
      Object.defineProperty(copy, key, { ...value, enumerable: true, configurable: true });
    }
    if (i >= keys.length) return undefined;
    return more(plural(keys.length - i, 'property', 'properties'), i < this.limits.items);
  }

  private keys(v: object): (string | symbol)[] {
    let keys = this.keysOf.get(v);
    if (!keys) {
      const symbols = Object.getOwnPropertySymbols(v).filter((s) => Object.prototype.propertyIsEnumerable.call(v, s));
      keys = [...Object.keys(v), ...symbols];
      this.keysOf.set(v, keys);
    }
    return keys;
  }
}

/**
 * `util.inspect` of `value` within `limits`: the text says where it was cut (`[Array]` past
 * the depth, `... 5 more items`, `[… truncated]` where the budget ran out).
 */
export function boundedInspect(value: unknown, limits: ViewLimits, options: InspectOptions = {}): string {
  const shown = { ...options, maxArrayLength: limits.items, maxStringLength: limits.stringChars };
  let text: string;
  try {
    text = inspect(new Copier(limits, options).copy(value, 0), { ...shown, depth: Infinity });
  } catch {
    // A class's own getter (`Symbol.toStringTag`, `size`) that will not run on a copy: the
    // value itself, one level deep.
    text = inspect(value, { ...shown, depth: 0 });
  }
  return clampText(text, limits.chars);
}

/** `text`, or its first `chars` characters and a note of how many more there were. */
export function clampText(text: string, chars: number): string {
  return text.length <= chars
    ? text
    : `${text.slice(0, chars)} [${TRUNCATED}: ${plural(text.length - chars, 'character')}]`;
}

/** Node's REPL defaults (depth 4, 100 items, 10,000 characters a string), within a budget. */
export const REPL_LIMITS: ViewLimits = { depth: 4, items: 100, stringChars: 10_000, nodes: 5_000, chars: 1_000_000 };
