/**
 * Wire encoding. Values use V8's structured serialization, so Map, Set, Date, BigInt, typed
 * arrays, cycles and Errors keep their types; typed arrays are copied as raw bytes, never
 * element by element.
 */
import { types } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { crewError, ErrorCodes } from '../errors';
import { fastDecode, fastEncode, NOT_SIMPLE } from './fast-value';
import {
  decodeResults,
  decodeTasks,
  encodeResults,
  encodeTasks,
  RESULTS_TAG,
  TASKS_TAG,
  type TaskSource,
} from './task-frames';
import type { FormDef, LinkMessage, ResultMsg, TaskMsg } from '../messages/worker-link-messages';
import type { Frame } from './frame';

/** Encodes a user value. Throws `CREW_NOT_SERIALIZABLE` naming the type and its path. */
export function encodeValue(value: unknown, root = 'value'): Uint8Array {
  const fast = fastEncode(value);
  if (fast) return fast;
  try {
    return serialize(value);
  } catch {
    const culprit = findUnserializable(value, root);
    const where = culprit ? `${culprit.type} at ${culprit.path}` : `${describeType(value)} at ${root}`;
    throw crewError(
      ErrorCodes.NotSerializable,
      `cannot send ${where}: ` +
        'only data (objects, arrays, Map, Set, Date, BigInt, typed arrays, Errors) crosses the wire',
      {
        type: culprit?.type,
        path: culprit?.path ?? root,
      },
    );
  }
}

/**
 * Encodes an argument list that Crew built itself (a fresh array, so it has no properties
 * besides its elements); the same bytes as `encodeValue(args, 'arguments')`, sooner.
 */
export function encodeArgList(args: readonly unknown[]): Uint8Array {
  return fastEncode(args, true) ?? encodeValue(args, 'arguments');
}

/**
 * A `tasks` frame straight from the master's task records, in the compact layout; undefined
 * when something in them needs the general encoding.
 */
export function encodeTaskFrame(
  forms: FormDef[],
  tasks: readonly TaskSource[],
  resultGroup?: number,
): (Buffer & Frame<'tasks'>) | undefined {
  return encodeTasks(forms, tasks, resultGroup, true) as (Buffer & Frame<'tasks'>) | undefined;
}

/** Decodes bytes from {@link encodeValue}. */
export function decodeValue(bytes: Uint8Array): unknown {
  const fast = fastDecode(bytes);
  return fast === NOT_SIMPLE ? deserialize(bytes) : fast;
}

/**
 * Encodes one protocol message as one binary frame: `tasks` and `results` in their compact
 * layouts (see task-frames.ts), everything else with V8. The frame is branded with the
 * message's kind, for a link end's `sendFrame`.
 */
export function encodeFrame<M extends LinkMessage>(message: M): Buffer & Frame<M['t']> {
  return encodeMessage(message) as Buffer & Frame<M['t']>;
}

function encodeMessage(message: object): Buffer {
  const m = message as {
    t?: unknown;
    forms?: FormDef[];
    tasks?: TaskMsg[];
    resultGroup?: number;
    results?: ResultMsg[];
  };
  if (
    m.t === 'tasks' &&
    Array.isArray(m.forms) &&
    Array.isArray(m.tasks) &&
    Object.keys(m).length === (m.resultGroup === undefined ? 3 : 4)
  ) {
    const frame = encodeTasks(m.forms, m.tasks, m.resultGroup);
    if (frame) return frame;
  } else if (m.t === 'results' && Array.isArray(m.results) && Object.keys(m).length === 2) {
    const frame = encodeResults(m.results);
    if (frame) return frame;
  }
  return serialize(message);
}

export { ownsMemory } from './task-frames';

/** Below this, copying between threads costs less than worrying about who else holds it. */
const MOVE_FROM = 1024 * 1024;

/**
 * The memory of large task arguments that a decoded frame alone holds, to move to the eval
 * thread instead of copying. Only a frame of its own (over 64 KiB, which `ws` assembles
 * into a fresh buffer) reaches this size. Empty when the worker keeps parts of the message
 * for replay: setup tasks, and forms with init arguments, point into the same memory.
 */
export function movableArgs(forms: readonly FormDef[], tasks: readonly TaskMsg[]): ArrayBuffer[] {
  const moved = new Set<ArrayBuffer>();
  for (const f of forms) if (f.initArgs) return [];
  for (const t of tasks) {
    if (t.setup) return [];
    const buf = t.args?.buffer;
    if (buf instanceof ArrayBuffer && buf.byteLength >= MOVE_FROM) moved.add(buf);
  }
  return [...moved];
}

/** Fewer tasks than this are cloned to the eval thread as they are; more are packed. */
const PACK_FROM = 4;

/**
 * How a worker's main thread hands a `run` message to its eval thread cheaply: large
 * arguments are moved (see {@link movableArgs}), and many small tasks travel packed in the
 * compact layout, which costs a fraction of cloning each task object. Returns the message
 * to post and its transfer list.
 */
export function forEvalThread<M extends { forms: FormDef[]; tasks: TaskMsg[]; packed?: Uint8Array }>(
  msg: M,
): [M, ArrayBuffer[]] {
  const moved = movableArgs(msg.forms, msg.tasks);
  if (moved.length > 0 || msg.tasks.length < PACK_FROM) return [msg, moved];
  const packed = encodeTasks([], msg.tasks);
  if (!packed) return [msg, []];
  return [{ ...msg, tasks: [], packed }, [packed.buffer as ArrayBuffer]];
}

/** The tasks of a `run` message posted by {@link forEvalThread}. */
export function tasksOf(msg: { tasks: TaskMsg[]; packed?: Uint8Array }): TaskMsg[] {
  if (!msg.packed) return msg.tasks;
  const buf = Buffer.from(msg.packed.buffer, msg.packed.byteOffset, msg.packed.byteLength);
  return [...msg.tasks, ...decodeTasks(buf).tasks];
}

/** Decodes one binary frame; throws `CREW_BAD_FRAME` if it is not one. */
export function decodeFrame(data: Buffer | ArrayBuffer | Buffer[]): unknown {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  try {
    if (buf[0] === TASKS_TAG) return decodeTasks(buf);
    if (buf[0] === RESULTS_TAG) return decodeResults(buf);
    return deserialize(buf);
  } catch (err) {
    throw crewError(ErrorCodes.BadFrame, `undecodable frame of ${buf.length} bytes: ${(err as Error).message}`);
  }
}

/** Constructor names of plain containers; names, because values may come from another realm. */
const plainConstructors = new Set<string | undefined>(['Object', 'Array', 'Map', 'Set', undefined]);

/** Depth-first search for the first part of `value` that V8 cannot serialize. */
function findUnserializable(value: unknown, root: string): { type: string; path: string } | undefined {
  const seen = new Set<unknown>();
  const visit = (v: unknown, path: string): { type: string; path: string } | undefined => {
    if (typeof v === 'function' || typeof v === 'symbol') return { type: describeType(v), path };
    if (typeof v !== 'object' || v === null || seen.has(v)) return undefined;
    seen.add(v);
    if (types.isPromise(v) || types.isWeakMap(v) || types.isWeakSet(v)) return { type: describeType(v), path };
    if (types.isMap(v)) {
      let i = 0;
      for (const [k, item] of v as Map<unknown, unknown>) {
        const hit = visit(k, `${path}.keys()[${i}]`) ?? visit(item, `${path}.get(${printKey(k)})`);
        if (hit) return hit;
        i++;
      }
      return undefined;
    }
    if (types.isSet(v)) {
      let i = 0;
      for (const item of v as Set<unknown>) {
        const hit = visit(item, `${path}.values()[${i++}]`);
        if (hit) return hit;
      }
      return undefined;
    }
    for (const key of Object.keys(v)) {
      const hit = visit(
        (v as Record<string, unknown>)[key],
        Array.isArray(v) ? `${path}[${key}]` : `${path}${propertyPath(key)}`,
      );
      if (hit) {
        // A class instance (a socket, a stream) is a better culprit than its private internals.
        const ctor = (v as object).constructor;
        if (!plainConstructors.has((ctor as { name?: string } | undefined)?.name) && !isSerializable(v))
          return { type: describeType(v), path };
        return hit;
      }
    }
    return isSerializable(v) ? undefined : { type: describeType(v), path };
  };
  return visit(value, root);
}

function isSerializable(v: unknown): boolean {
  try {
    serialize(v);
    return true;
  } catch {
    return false;
  }
}

/** A readable type name: `function f`, `Socket`, `symbol`. */
export function describeType(v: unknown): string {
  if (typeof v === 'function') return v.name ? `function ${v.name}` : 'anonymous function';
  if (typeof v === 'symbol') return 'symbol';
  if (v === null) return 'null';
  // Generators and other built-ins may have no named constructor; their tag still names them.
  if (typeof v === 'object') return (v as object).constructor?.name || Object.prototype.toString.call(v).slice(8, -1);
  return typeof v;
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function printKey(k: unknown): string {
  return typeof k === 'string' ? JSON.stringify(k) : typeof k === 'object' ? describeType(k) : String(k);
}
