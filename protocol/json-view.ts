/**
 * JSON of a plain value, written at a bounded cost. `JSON.stringify` walks every path through a
 * value, and a value with shared subtrees (tiny on the wire, see value-view.ts) has
 * exponentially many; this writer counts each value it writes and gives up, returning
 * undefined, once the budget is spent. A value that has no JSON of its own (a Map, a class
 * instance, a Date, a BigInt, a cycle) also gives undefined: its printed text says it better.
 */

/** How much JSON a view may write. */
export interface JsonLimits {
  /** Values written, each occurrence of a shared value counted again. */
  nodes: number;
  /** Characters of the JSON text. */
  chars: number;
  /** Levels of nesting. */
  depth: number;
}

/** An object literal's kind, from any realm: the master's own context makes its objects in another one. */
export function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

class TooMuch extends Error {}

/**
 * The JSON text of a plain object or array within `limits`, or undefined. A walk checks that
 * the value is plain data (no class instance, function, `undefined` or cycle) and counts what
 * its JSON would hold, giving up once over the limits; only then does the native
 * `JSON.stringify` write it.
 */
export function boundedJson(value: unknown, limits: JsonLimits): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  let nodes = 0;
  // At least this many characters: each value, key and separator counted at its shortest.
  let chars = 0;
  const path = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (++nodes > limits.nodes || depth > limits.depth || chars > limits.chars) throw new TooMuch();
    if (typeof v === 'string') chars += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) chars += 1;
    else if (typeof v !== 'object' || path.has(v)) throw new TooMuch();
    else {
      const array = Array.isArray(v);
      if (!array && !isPlain(v)) throw new TooMuch();
      path.add(v);
      const keys = array ? undefined : Object.keys(v);
      const n = keys ? keys.length : (v as unknown[]).length;
      chars += 2 + n;
      for (let i = 0; i < n; i++) {
        if (keys) chars += keys[i].length + 3;
        // A hole reads as undefined, which is not JSON either.
        walk(keys ? (v as Record<string, unknown>)[keys[i]] : (v as unknown[])[i], depth + 1);
      }
      path.delete(v);
    }
  };
  try {
    walk(value, 0);
  } catch (err) {
    if (err instanceof TooMuch) return undefined;
    throw err;
  }
  if (chars > limits.chars) return undefined;
  const text = JSON.stringify(value);
  return text.length <= limits.chars ? text : undefined;
}
