/**
 * Compact binary layouts for the two frames that carry work: `tasks` (master -> worker) and
 * `results` (worker -> master). V8's serializer costs about a microsecond per small object
 * and calls back into JavaScript for every byte array, which dominated tiny tasks; these
 * layouts are fixed records followed by the already-encoded argument or value bytes.
 *
 * A message with a field these layouts do not know is left to V8, so a field added to
 * `TaskMsg` or `ResultMsg` keeps working before it is added here.
 */
import { deserialize, serialize } from 'node:v8';
import { HEADROOM_FROM, ownBuffers } from './fast-value';
import type { FormDef, ResultMsg, TaskMsg } from '../messages/worker-link-messages';

export const TASKS_TAG = 0xc1;
export const RESULTS_TAG = 0xc2;

/** id f64, form f64, timeoutMs f64 (NaN when absent), flags u8, args length u32. */
const TASK_RECORD = 29;
/** id f64, ms f64, kind u8 (0 error, 1 value, 2 printed value), payload length u32. */
const RESULT_RECORD = 21;
/** tag u8, count u32, forms length u32, result group u32 (0 when absent). */
const HEADER = 13;
/**
 * Payloads this large start 8-aligned in the frame, so typed arrays inside them (which
 * fast-value.ts aligns within the payload) can be viewed in place when decoded.
 */
const ALIGN_FROM = 64;
const SETUP = 1;
const HAS_ARGS = 2;
const PRINTABLE = 4;
/** A result's kind byte. */
const FAILED = 0;
const VALUE = 1;
const PRINTED = 2;

const TASK_KEYS = new Set(['id', 'form', 'args', 'timeoutMs', 'setup', 'printable']);
/** Fields of a form that JSON carries as they are; a form with any other goes through V8. */
const JSON_FORM_KEYS = new Set(['id', 'mode', 'code', 'filename', 'line', 'column', 'sourceMap', 'cache']);
/** The first byte of a form list written as JSON; V8's serializer starts with 0xff instead. */
const JSON_FORMS = 0x5b;
const OK_KEYS = new Set(['id', 'ok', 'value', 'ms', 'printed']);
const ERROR_KEYS = new Set(['id', 'ok', 'error', 'ms']);

/** Where a payload of `n` bytes starts when the frame has reached `p`. */
function payloadAt(p: number, n: number): number {
  return n >= ALIGN_FROM ? (p + 7) & ~7 : p;
}

/** Buffers whose free room in front has held a frame header: never written twice. */
const framedInPlace = new WeakSet<ArrayBufferLike>();

/**
 * For a frame whose only payload is one large encoding from fast-value.ts, the frame is
 * built around the payload: `head` is written into the free room in front of it and the
 * frame is a view from there to the end. Saves copying megabytes. Undefined when the
 * payload has no such room, or its room was used before (a frame may still be sending).
 */
function frameAround(payload: Uint8Array, head: Buffer): Buffer | undefined {
  const buf = payload.buffer;
  const start = payload.byteOffset - head.length;
  if (payload.length < HEADROOM_FROM || start < 0 || !ownBuffers.has(buf) || framedInPlace.has(buf)) return undefined;
  if (payload.byteOffset + payload.length !== buf.byteLength) return undefined;
  framedInPlace.add(buf);
  const frame = Buffer.from(buf, start, head.length + payload.length);
  frame.set(head);
  return frame;
}

/** Whether `frame` is the only user of its memory, so it may be moved to another thread. */
export function ownsMemory(frame: Uint8Array): boolean {
  return (frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength) || framedInPlace.has(frame.buffer);
}

function onlyKeys(o: object, keys: Set<string>): boolean {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
}

/** What the master holds of a task: its form as a definition rather than an id. */
export interface TaskSource {
  id: number;
  def: { id: number };
  args?: Uint8Array;
  timeoutMs?: number;
  setup?: boolean;
  printable?: boolean;
}

const formOf = (t: TaskMsg | TaskSource): number => ('def' in t ? t.def.id : t.form);

/**
 * The forms of a frame. A lone call sends its one-off form in every frame, and V8's
 * serializer, with its JavaScript wrapper, costs several microseconds there, on both ends:
 * JSON does the same for plain forms in a fraction. Forms with arguments of their own
 * (`initArgs`, bytes) or an unknown field still go through V8.
 */
function encodeForms(forms: FormDef[]): Uint8Array {
  const parts: string[] = [];
  for (const f of forms) {
    const json = formJson(f);
    if (json === undefined) return serialize(forms);
    parts.push(json);
  }
  return Buffer.from(`[${parts.join(',')}]`);
}

/** Each form's JSON, made once: the master sends the same definition objects again and again. */
const jsonOfForm = new WeakMap<FormDef, string | null>();

function formJson(f: FormDef): string | undefined {
  let json = jsonOfForm.get(f);
  if (json === undefined) {
    json = JSON.stringify(f);
    for (const k in f) {
      const v = (f as unknown as Record<string, unknown>)[k];
      if (v === undefined) continue;
      if (!JSON_FORM_KEYS.has(k) || !(typeof v === 'string' || typeof v === 'boolean' || Number.isFinite(v)))
        json = null;
    }
    jsonOfForm.set(f, json);
  }
  return json ?? undefined;
}

function decodeForms(buf: Buffer, start: number, end: number): FormDef[] {
  if (buf[start] === JSON_FORMS) return JSON.parse(buf.toString('utf8', start, end)) as FormDef[];
  return deserialize(buf.subarray(start, end)) as FormDef[];
}

/**
 * Encodes a `tasks` message, or returns undefined if it holds something this layout does
 * not carry. The buffer owns its memory, so it can be transferred between threads.
 * `tasks` are messages (each checked for unknown fields) or, with `sources`, the master's
 * own task records, whose other fields stay on the master.
 */
export function encodeTasks(
  forms: FormDef[],
  tasks: readonly (TaskMsg | TaskSource)[],
  resultGroup?: number,
  sources = false,
): Buffer | undefined {
  if (resultGroup !== undefined && !(Number.isInteger(resultGroup) && resultGroup >= 1 && resultGroup <= 0xffffffff))
    return undefined;
  const formBytes = forms.length > 0 ? encodeForms(forms) : undefined;
  let size = HEADER + (formBytes?.length ?? 0);
  for (const t of tasks) {
    if (typeof t.id !== 'number' || typeof formOf(t) !== 'number' || (!sources && !onlyKeys(t, TASK_KEYS)))
      return undefined;
    if (t.args !== undefined && !(t.args instanceof Uint8Array)) return undefined;
    if (t.timeoutMs !== undefined && typeof t.timeoutMs !== 'number') return undefined;
    if (t.setup !== undefined && typeof t.setup !== 'boolean') return undefined;
    if (t.printable !== undefined && typeof t.printable !== 'boolean') return undefined;
    size += TASK_RECORD;
    if (t.args) size = payloadAt(size, t.args.length) + t.args.length;
  }
  // One task with a large argument: write everything before it, then frame around it.
  const large =
    tasks.length === 1 && tasks[0].args && tasks[0].args.length >= HEADROOM_FROM ? tasks[0].args : undefined;
  const out = Buffer.allocUnsafeSlow(large ? size - large.length : size);
  out[0] = TASKS_TAG;
  out.writeUInt32LE(tasks.length, 1);
  out.writeUInt32LE(formBytes?.length ?? 0, 5);
  out.writeUInt32LE(resultGroup ?? 0, 9);
  let p = HEADER;
  if (formBytes) {
    out.set(formBytes, p);
    p += formBytes.length;
  }
  for (const t of tasks) {
    out.writeDoubleLE(t.id, p);
    out.writeDoubleLE(formOf(t), p + 8);
    out.writeDoubleLE(t.timeoutMs ?? NaN, p + 16);
    out[p + 24] = (t.setup ? SETUP : 0) | (t.args ? HAS_ARGS : 0) | (t.printable ? PRINTABLE : 0);
    const n = t.args?.length ?? 0;
    out.writeUInt32LE(n, p + 25);
    p += TASK_RECORD;
    if (t.args) {
      const at = payloadAt(p, n);
      out.fill(0, p, at);
      if (t.args !== large) out.set(t.args, at);
      p = at + n;
    }
  }
  return large ? (frameAround(large, out) ?? Buffer.concat([out, large])) : out;
}

/** Decodes {@link encodeTasks}; argument bytes are views into `buf`. Throws if malformed. */
export function decodeTasks(buf: Buffer): { t: 'tasks'; forms: FormDef[]; tasks: TaskMsg[]; resultGroup?: number } {
  if (buf.length < HEADER) throw new Error('tasks frame shorter than its header');
  const count = buf.readUInt32LE(1);
  const formLength = buf.readUInt32LE(5);
  const resultGroup = buf.readUInt32LE(9);
  if (HEADER + formLength + count * TASK_RECORD > buf.length)
    throw new Error(`tasks frame of ${buf.length} bytes cannot hold ${count} tasks`);
  let p = HEADER;
  const forms = formLength > 0 ? decodeForms(buf, p, p + formLength) : [];
  if (!Array.isArray(forms)) throw new Error('the forms of a tasks frame are not a list');
  p += formLength;
  const tasks = new Array<TaskMsg>(count);
  for (let i = 0; i < count; i++) {
    if (p + TASK_RECORD > buf.length) throw new Error(`tasks frame ends inside task ${i}`);
    const task: TaskMsg = { id: buf.readDoubleLE(p), form: buf.readDoubleLE(p + 8) };
    const timeoutMs = buf.readDoubleLE(p + 16);
    if (!Number.isNaN(timeoutMs)) task.timeoutMs = timeoutMs;
    const flags = buf[p + 24];
    if (flags & SETUP) task.setup = true;
    if (flags & PRINTABLE) task.printable = true;
    const n = buf.readUInt32LE(p + 25);
    p += TASK_RECORD;
    if (flags & HAS_ARGS) {
      p = payloadAt(p, n);
      if (p + n > buf.length) throw new Error(`the arguments of task ${i} run past the end of the frame`);
      task.args = buf.subarray(p, p + n);
      p += n;
    }
    tasks[i] = task;
  }
  if (p !== buf.length) throw new Error(`tasks frame has ${buf.length - p} bytes after its last task`);
  return resultGroup > 0 ? { t: 'tasks', forms, tasks, resultGroup } : { t: 'tasks', forms, tasks };
}

/** Encodes a `results` message, or returns undefined if it holds something unexpected. */
export function encodeResults(results: ResultMsg[]): Buffer | undefined {
  let size = HEADER;
  const errors: (Buffer | undefined)[] = [];
  for (const r of results) {
    if (typeof r.id !== 'number' || typeof r.ms !== 'number') return undefined;
    let n: number;
    if (r.ok === true) {
      if (!(r.value instanceof Uint8Array) || !onlyKeys(r, OK_KEYS)) return undefined;
      if (r.printed !== undefined && r.printed !== true) return undefined;
      n = r.value.length;
      errors.push(undefined);
    } else if (r.ok === false) {
      if (!onlyKeys(r, ERROR_KEYS)) return undefined;
      const e = serialize(r.error);
      n = e.length;
      errors.push(e);
    } else return undefined;
    size = payloadAt(size + RESULT_RECORD, n) + n;
  }
  const only = results[0];
  const large = results.length === 1 && only.ok && only.value.length >= HEADROOM_FROM ? only.value : undefined;
  const out = Buffer.allocUnsafeSlow(large ? size - large.length : size);
  out[0] = RESULTS_TAG;
  out.writeUInt32LE(results.length, 1);
  out.writeUInt32LE(0, 5);
  out.writeUInt32LE(0, 9);
  let p = HEADER;
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    const payload = r.ok ? r.value : errors[i]!;
    out.writeDoubleLE(r.id, p);
    out.writeDoubleLE(r.ms, p + 8);
    out[p + 16] = !r.ok ? FAILED : r.printed ? PRINTED : VALUE;
    out.writeUInt32LE(payload.length, p + 17);
    p += RESULT_RECORD;
    const at = payloadAt(p, payload.length);
    out.fill(0, p, at);
    if (payload !== large) out.set(payload, at);
    p = at + payload.length;
  }
  return large ? (frameAround(large, out) ?? Buffer.concat([out, large])) : out;
}

/** Decodes {@link encodeResults}; values are views into `buf`. Throws if malformed. */
export function decodeResults(buf: Buffer): { t: 'results'; results: ResultMsg[] } {
  if (buf.length < HEADER) throw new Error('results frame shorter than its header');
  const count = buf.readUInt32LE(1);
  if (HEADER + count * RESULT_RECORD > buf.length)
    throw new Error(`results frame of ${buf.length} bytes cannot hold ${count} results`);
  const results = new Array<ResultMsg>(count);
  let p = HEADER;
  for (let i = 0; i < count; i++) {
    if (p + RESULT_RECORD > buf.length) throw new Error(`results frame ends inside result ${i}`);
    const id = buf.readDoubleLE(p);
    const ms = buf.readDoubleLE(p + 8);
    const kind = buf[p + 16];
    const n = buf.readUInt32LE(p + 17);
    p = payloadAt(p + RESULT_RECORD, n);
    if (p + n > buf.length) throw new Error(`result ${i} runs past the end of the frame`);
    const payload = buf.subarray(p, p + n);
    p += n;
    if (kind === VALUE) results[i] = { id, ok: true, value: payload, ms };
    else if (kind === PRINTED) results[i] = { id, ok: true, value: payload, ms, printed: true };
    else results[i] = { id, ok: false, error: deserialize(payload) as Extract<ResultMsg, { ok: false }>['error'], ms };
  }
  if (p !== buf.length) throw new Error(`results frame has ${buf.length - p} bytes after its last result`);
  return { t: 'results', results };
}
