/**
 * V8's value serialization format (version 15), written and read by hand for the small
 * values tiny tasks carry: numbers, booleans, null, undefined, short one-byte strings, and
 * flat arrays of them. A call into V8's serializer costs microseconds, which is more than a
 * tiny task itself; these paths cost tens of nanoseconds. The bytes are what V8 itself
 * would accept, so either end may decode them with `v8.deserialize`. Anything else returns
 * `undefined` and the caller uses V8.
 *
 * Typed arrays (also inside such a flat array) are written the way Node's serializer
 * writes them, but into one buffer of the exact size, with their bytes 8-aligned so that
 * Node's deserializer can view them in place instead of copying.
 */
import { endianness } from 'node:os';
import { viewIndex } from './view-index';

const TAG_INT = 0x49; // 'I': zigzag varint int32
const TAG_DOUBLE = 0x4e; // 'N'
const TAG_TRUE = 0x54;
const TAG_FALSE = 0x46;
const TAG_NULL = 0x30;
const TAG_UNDEFINED = 0x5f;
const TAG_ONE_BYTE_STRING = 0x22; // '"'
const TAG_DENSE_ARRAY = 0x41; // 'A'
const TAG_END_DENSE_ARRAY = 0x24; // '$'
const TAG_HOST_OBJECT = 0x5c; // '\\': Node writes typed arrays as host objects
const TAG_PADDING = 0x00;
/** Views at least this large are worth the exact-size, aligned path. */
const MIN_VIEW = 256;
/**
 * Encodings this large get free room in front of them, where frames.ts can write a frame
 * header so the bytes go out without being copied into a frame.
 */
export const HEADROOM_FROM = 1024 * 1024;
export const HEADROOM = 4096;
/** Buffers made here for one large encoding alone: nothing else ever points into them. */
export const ownBuffers = new WeakSet<ArrayBufferLike>();
const VERSION = 15;
/** Longer strings and arrays are rare in tiny tasks and V8 handles them well enough. */
const MAX_STRING = 64;
const MAX_ARRAY = 16;

/** Doubles are written in host byte order, so the hand path is for little-endian hosts. */
const enabled = endianness() === 'LE';
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
/** The most a simple value can take: a full array of the longest strings. */
const MAX_SIMPLE = MAX_ARRAY * (MAX_STRING + 8) + 16;
let pos = 0;
/** Large views met while encoding, each to be copied in after slab[at - 1]. */
const views: { at: number; view: ArrayBufferView }[] = [];
let viewBytes = 0;

/** Small encodings are written straight into a shared slab: one allocation per many values. */
const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;
/** Where this encoding starts in the slab. */
let start = 0;

/**
 * Encodes `value` like `v8.serialize`, or returns undefined when it is not a simple value.
 * `plainArray` says `value` is an array Crew made itself (an argument list), so it cannot
 * have properties besides its elements, and the costly check for them is skipped.
 */
export function fastEncode(value: unknown, plainArray = false): Uint8Array | undefined {
  if (!enabled) return undefined;
  if (slabUsed + MAX_SIMPLE > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  start = slabUsed;
  slab[start] = 0xff;
  slab[start + 1] = VERSION;
  pos = start + 2;
  views.length = 0;
  viewBytes = 0;
  if (Array.isArray(value)) {
    const n = value.length;
    if (n > MAX_ARRAY) return undefined;
    slab[pos++] = TAG_DENSE_ARRAY;
    varint(n);
    for (let i = 0; i < n; i++) {
      // A hole, or a property that is not an element, must keep V8's exact semantics.
      if (!(i in value) || !writePrimitive(value[i])) return undefined;
    }
    if (!plainArray && Object.keys(value).length !== n) return undefined;
    slab[pos++] = TAG_END_DENSE_ARRAY;
    varint(0);
    varint(n);
  } else if (!writePrimitive(value)) return undefined;
  if (views.length > 0) return joinViews();
  slabUsed = pos;
  return slab.subarray(start, pos);
}

function writePrimitive(v: unknown): boolean {
  switch (typeof v) {
    case 'number':
      if ((v | 0) === v && !Object.is(v, -0)) {
        slab[pos++] = TAG_INT;
        varint(((v << 1) ^ (v >> 31)) >>> 0);
      } else {
        slab[pos++] = TAG_DOUBLE;
        f64[0] = v;
        slab.set(f64Bytes, pos);
        pos += 8;
      }
      return true;
    case 'boolean':
      slab[pos++] = v ? TAG_TRUE : TAG_FALSE;
      return true;
    case 'undefined':
      slab[pos++] = TAG_UNDEFINED;
      return true;
    case 'string': {
      const n = v.length;
      if (n > MAX_STRING) return false;
      slab[pos++] = TAG_ONE_BYTE_STRING;
      varint(n);
      for (let i = 0; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c > 0xff) return false;
        slab[pos++] = c;
      }
      return true;
    }
    case 'object':
      if (v === null) {
        slab[pos++] = TAG_NULL;
        return true;
      }
      return ArrayBuffer.isView(v) && writeView(v);
    default:
      return false;
  }
}

/**
 * Writes a typed array's header, padded so that its bytes start 8-aligned in the output;
 * the bytes themselves are copied once, by {@link joinViews}.
 */
function writeView(v: ArrayBufferView): boolean {
  if (v.byteLength < MIN_VIEW) return false;
  const index = viewIndex(v);
  if (index === undefined) return false;
  const head = 1 + varintLength(index) + varintLength(v.byteLength);
  const pad = (8 - ((pos - start + viewBytes + head) % 8)) % 8;
  for (let i = 0; i < pad; i++) slab[pos++] = TAG_PADDING;
  slab[pos++] = TAG_HOST_OBJECT;
  varint(index);
  varint(v.byteLength);
  views.push({ at: pos, view: v });
  viewBytes += v.byteLength;
  return true;
}

/** One exact-size buffer of the header bytes with each large view's bytes in place. */
function joinViews(): Uint8Array {
  const size = pos - start + viewBytes;
  const room = size >= HEADROOM_FROM ? HEADROOM : 0;
  const whole = Buffer.allocUnsafeSlow(room + size);
  ownBuffers.add(whole.buffer);
  const out = whole.subarray(room);
  let from = start;
  let to = 0;
  for (const { at, view } of views) {
    out.set(slab.subarray(from, at), to);
    to += at - from;
    from = at;
    out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), to);
    to += view.byteLength;
  }
  out.set(slab.subarray(from, pos), to);
  views.length = 0;
  return out;
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n >>>= 7;
    len++;
  }
  return len;
}

function varint(n: number): void {
  while (n >= 0x80) {
    slab[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  slab[pos++] = n;
}

/** What {@link fastDecode} returns when the bytes need V8's own deserializer. */
export const NOT_SIMPLE: unique symbol = Symbol('not simple');

let input: Uint8Array = slab;
let at = 0;

/** Decodes bytes that {@link fastEncode} (or V8, for the same values) wrote. */
export function fastDecode(bytes: Uint8Array): unknown {
  if (!enabled || bytes.length < 3 || bytes[0] !== 0xff || bytes[1] < 13 || bytes[1] > VERSION) return NOT_SIMPLE;
  input = bytes;
  at = 2;
  let value: unknown;
  if (bytes[at] === TAG_DENSE_ARRAY) {
    at++;
    const n = readVarint();
    if (n < 0 || n > MAX_ARRAY) return NOT_SIMPLE;
    const arr = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const item = readPrimitive();
      if (item === NOT_SIMPLE) return NOT_SIMPLE;
      arr[i] = item;
    }
    if (bytes[at++] !== TAG_END_DENSE_ARRAY || readVarint() !== 0 || readVarint() !== n) return NOT_SIMPLE;
    value = arr;
  } else {
    value = readPrimitive();
  }
  // Trailing bytes mean something this reader does not know; let V8 judge them.
  return at === bytes.length ? value : NOT_SIMPLE;
}

function readPrimitive(): unknown {
  if (at >= input.length) return NOT_SIMPLE;
  switch (input[at++]) {
    case TAG_INT: {
      const z = readVarint();
      return z < 0 ? NOT_SIMPLE : (z >>> 1) ^ -(z & 1);
    }
    case TAG_DOUBLE:
      if (at + 8 > input.length) return NOT_SIMPLE;
      for (let i = 0; i < 8; i++) f64Bytes[i] = input[at + i];
      at += 8;
      return f64[0];
    case TAG_TRUE:
      return true;
    case TAG_FALSE:
      return false;
    case TAG_NULL:
      return null;
    case TAG_UNDEFINED:
      return undefined;
    case TAG_ONE_BYTE_STRING: {
      const n = readVarint();
      if (n < 0 || n > MAX_STRING || at + n > input.length) return NOT_SIMPLE;
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(input[at + i]);
      at += n;
      return s;
    }
    default:
      return NOT_SIMPLE;
  }
}

/** Reads an unsigned varint of up to 32 bits; -1 if it is malformed or too long. */
function readVarint(): number {
  if (at >= input.length) return -1;
  const first = input[at++];
  if (first < 0x80) return first;
  let result = first & 0x7f;
  let scale = 0x80;
  for (let i = 1; i < 5; i++) {
    if (at >= input.length) return -1;
    const b = input[at++];
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result > 0xffffffff ? -1 : result;
    scale *= 0x80;
  }
  return -1;
}
