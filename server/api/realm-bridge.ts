/**
 * The master's image is a `vm` context, a realm of its own with its own `Map`, `Date` and
 * `Error`. Values that come back from workers (and everything the API returns) are built in
 * the main realm, so `value instanceof Map` typed at the prompt would be false for them.
 * The image's constructors answer `instanceof` for the main realm's instances too. Only
 * `instanceof` changes: literals, `new Map()` and errors thrown in the image stay the image's,
 * so what the image itself makes keeps passing its own checks.
 */
import vm from 'node:vm';

/** Built-in classes whose instances cross from the main realm into the image. */
const SHARED_CLASSES = [
  'Object',
  'Function',
  'Array',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Date',
  'RegExp',
  'Promise',
  'Error',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'AggregateError',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

type Class = abstract new (...args: never[]) => unknown;

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/** Makes `x instanceof C` in `context` true for instances of the main realm's `C` as well. */
export function acceptHostInstances(context: vm.Context): void {
  const host = globalThis as unknown as Record<string, Class | undefined>;
  for (const name of SHARED_CLASSES) {
    const own = vm.runInContext(`typeof ${name} === 'function' ? ${name} : undefined`, context) as Class | undefined;
    const theirs = host[name];
    if (!own || !theirs || own === theirs) continue;
    Object.defineProperty(own, Symbol.hasInstance, {
      // A subclass made in the image inherits this: for it, only its own instances count.
      value: function hasInstance(this: Class, value: unknown): boolean {
        return ordinaryHasInstance.call(this, value) || (this === own && ordinaryHasInstance.call(theirs, value));
      },
      configurable: true,
      writable: true,
    });
  }
}
