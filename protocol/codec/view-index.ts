/**
 * Node's serializer writes each typed array, DataView and Buffer as a host object that starts
 * with a number for the view's type. fast-value.ts writes such views by hand and needs the
 * same numbers; they live here, with the realm-proof way of telling a view's type, apart
 * from the byte-level writer and reader.
 */

/** Node's numbering of ArrayBufferView types in its serializer (lib/v8.js). */
const VIEW_INDEX: Record<string, number> = {
  Int8Array: 0,
  Uint8Array: 1,
  Uint8ClampedArray: 2,
  Int16Array: 3,
  Uint16Array: 4,
  Int32Array: 5,
  Uint32Array: 6,
  Float32Array: 7,
  Float64Array: 8,
  DataView: 9,
  BigInt64Array: 11,
  BigUint64Array: 12,
};
const BUFFER_INDEX = 10;

/** The number Node's serializer writes for `v`'s type, or undefined for a type it does not know. */
export function viewIndex(v: ArrayBufferView): number | undefined {
  return Buffer.isBuffer(v) ? BUFFER_INDEX : VIEW_INDEX[viewType(v)];
}

const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
)!.get!;

/** The type name of a view from any realm (a vm context's Float64Array included). */
function viewType(v: ArrayBufferView): string {
  return (
    (typedArrayTag.call(v) as string | undefined) ??
    (Object.prototype.toString.call(v) === '[object DataView]' ? 'DataView' : '')
  );
}
