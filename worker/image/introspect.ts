/**
 * Reads a live image for the editor: the names it defines, an object's members, the keys of
 * its `store`, and a value with a function's parameters. Used in a worker's eval thread and on
 * the master's image alike. It runs no user code: a path through a getter or a proxy stops
 * there, and members are listed from their property descriptors, so asking never changes
 * what it looks at. Every answer is bounded in size.
 */
import { inspect, types } from 'node:util';
import vm from 'node:vm';
import type { ImageDescription, ImageEntry, ImageReply, PathQuery } from '../../protocol/messages/image-messages';
import { parametersOf } from './parameters';
import { builtinRoots } from './realm';

/** Most entries in one answer: the editor filters further as the user types. */
const MAX_ENTRIES = 2000;
/** Bounds of a printed value: a hover shows the start of a large one. */
const PRINT = { depth: 2, maxArrayLength: 20, maxStringLength: 200, breakLength: 80, customInspect: false } as const;
const MAX_PRINTED_CHARS = 2000;

/** The global object seen from inside a context (a context's sandbox is not its `globalThis`). */
const globals = new WeakMap<vm.Context, object>();
function globalOf(context: vm.Context): object {
  let g = globals.get(context);
  if (!g) globals.set(context, (g = vm.runInContext('globalThis', context) as object));
  return g;
}

/** Answers one question about the image of `context`. */
export function introspect(context: vm.Context, query: PathQuery): ImageReply {
  // Matched without regard to case, as the editor's own filter does.
  const prefix = (query.prefix ?? '').toLowerCase();
  switch (query.op) {
    case 'names':
      return listed(ownAndInherited(globalOf(context), prefix, true, builtinRoots(context)));
    case 'members': {
      const at = walk(globalOf(context), query.path);
      return listed(
        at.found && isObjectLike(at.value) ? ownAndInherited(at.value, prefix, false, builtinRoots(context)) : [],
      );
    }
    case 'storeKeys': {
      const store = walk(globalOf(context), ['store']);
      if (!store.found || !types.isMap(store.value)) return listed([]);
      const entries: ImageEntry[] = [];
      for (const [key, value] of store.value as Map<unknown, unknown>)
        if (typeof key === 'string' && key.toLowerCase().startsWith(prefix))
          entries.push({ name: key, kind: kindOf(value) });
      return listed(entries);
    }
    case 'describe':
      return { description: describe(globalOf(context), query.path) };
  }
}

function listed(entries: ImageEntry[]): ImageReply {
  entries.sort((a, b) => a.name.localeCompare(b.name));
  return entries.length > MAX_ENTRIES
    ? { entries: entries.slice(0, MAX_ENTRIES), truncated: true }
    : { entries, truncated: false };
}

/** What `path` names, read property by property through data properties only. */
function walk(root: object, path: readonly string[]): { found: boolean; value?: unknown } {
  let value: unknown = root;
  for (const key of path) {
    if (!isObjectLike(value) || types.isProxy(value)) return { found: false };
    const desc = findProperty(value, key);
    if (!desc || !('value' in desc)) return { found: false };
    value = desc.value;
  }
  return { found: true, value };
}

/** The descriptor of `key` on `obj` or the first of its prototypes that has it. */
function findProperty(obj: object, key: string): PropertyDescriptor | undefined {
  for (let o: object | null = obj; o && !types.isProxy(o); o = Object.getPrototypeOf(o) as object | null) {
    const desc = Object.getOwnPropertyDescriptor(o, key);
    if (desc) return desc;
  }
  return undefined;
}

function isObjectLike(v: unknown): v is object {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}

/** Names that only say what every object has: completion leaves them to TypeScript. */
const EVERY_OBJECT = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * The string keys of `obj` and its prototypes starting with `prefix`, nearest first. For the
 * global object, the built-ins (non-enumerable, as the language defines them) are left out:
 * TypeScript knows those, and what is worth offering is what the user's code defined.
 */
function ownAndInherited(obj: object, prefix: string, globalScope: boolean, roots: ReadonlySet<unknown>): ImageEntry[] {
  const seen = new Set<string>();
  const entries: ImageEntry[] = [];
  for (let o: object | null = obj; o && !types.isProxy(o); o = Object.getPrototypeOf(o) as object | null) {
    if (roots.has(o)) break;
    for (const name of Object.getOwnPropertyNames(o)) {
      if (seen.has(name) || !name.toLowerCase().startsWith(prefix) || EVERY_OBJECT.has(name)) continue;
      seen.add(name);
      const desc = Object.getOwnPropertyDescriptor(o, name)!;
      if (globalScope && !desc.enumerable) continue;
      if (!globalScope && o !== obj && name === 'constructor') continue;
      entries.push(entryOf(name, desc));
      if (entries.length > MAX_ENTRIES * 2) return entries;
    }
    if (globalScope) break;
  }
  return entries;
}

function entryOf(name: string, desc: PropertyDescriptor): ImageEntry {
  if (!('value' in desc)) return { name, kind: desc.set && !desc.get ? 'setter' : 'getter' };
  const entry: ImageEntry = { name, kind: kindOf(desc.value) };
  if (typeof desc.value === 'function') entry.params = parametersOf(desc.value as (...a: unknown[]) => unknown);
  return entry;
}

/** A value's run-time kind, in the words a person would use. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') {
    const source = safeSource(value as (...a: unknown[]) => unknown);
    if (/^class\b/.test(source)) return 'class';
    if (types.isAsyncFunction(value)) return 'async function';
    if (types.isGeneratorFunction(value)) return 'generator function';
    return 'function';
  }
  if (typeof value !== 'object') return typeof value;
  if (types.isProxy(value)) return 'Proxy';
  if (Array.isArray(value)) return 'Array';
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null) return 'object';
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as { name?: unknown } | undefined;
  const name = typeof ctor?.name === 'string' ? ctor.name : '';
  return name && name !== 'Object' ? name : 'object';
}

function safeSource(fn: (...a: unknown[]) => unknown): string {
  try {
    return Function.prototype.toString.call(fn);
  } catch {
    return '';
  }
}

function describe(root: object, path: readonly string[]): ImageDescription {
  const at = walk(root, path);
  if (!at.found) return { found: false, kind: 'undefined', printed: '' };
  const value = at.value;
  let printed = inspect(value, PRINT);
  if (printed.length > MAX_PRINTED_CHARS) printed = `${printed.slice(0, MAX_PRINTED_CHARS - 1)}…`;
  const description: ImageDescription = { found: true, kind: kindOf(value), printed };
  if (typeof value === 'function') {
    const fn = value as (...a: unknown[]) => unknown;
    description.name = typeof fn.name === 'string' && fn.name ? fn.name : path.at(-1);
    description.params = parametersOf(fn);
  }
  return description;
}
