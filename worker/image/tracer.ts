/**
 * SLIME's trace dialog, on a worker: a traced function is replaced by a wrapper that reports
 * each call (arguments, result or error, duration) and calls the original; untracing puts the
 * original back. Reports leave in batches, and at most {@link MAX_PER_SECOND} calls a second
 * are recorded, so a function called a million times by a map costs little and floods nothing:
 * the rest are counted as dropped.
 */
import { inspect } from 'node:util';
import vm from 'node:vm';
import { CrewError, ErrorCodes } from '../../protocol/errors';
import type { TraceCall } from '../../protocol/messages/image-messages';

/** Calls recorded per second at most; the others are counted. */
const MAX_PER_SECOND = 200;
/** A batch leaves when it holds this many calls, or after {@link BATCH_MS}. */
const BATCH_CALLS = 50;
const BATCH_MS = 100;
const PRINT = { depth: 1, maxArrayLength: 5, maxStringLength: 80, breakLength: Infinity, customInspect: false };
const MAX_PRINTED = 200;

type Fn = (this: unknown, ...args: unknown[]) => unknown;

interface Traced {
  parent: Record<string, unknown>;
  key: string;
  original: Fn;
  wrapper: Fn;
}

export type TraceReport = (calls: TraceCall[], dropped: number) => void;

export class Tracer {
  private readonly traced = new Map<string, Traced>();
  private batch: TraceCall[] = [];
  private dropped = 0;
  private second = 0;
  private inSecond = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly context: vm.Context,
    private readonly report: TraceReport,
  ) {}

  /** Wraps the function at `path`; returns its name. Tracing it again changes nothing. */
  trace(path: readonly string[]): string {
    const name = path.join('.');
    const { parent, key } = this.parentOf(path, name);
    const current = parent[key];
    const already = this.traced.get(name);
    if (already && current === already.wrapper) return name;
    if (typeof current !== 'function') throw new CrewError(ErrorCodes.BadArgument, `${name} is not a function here`);
    if (/^class\b/.test(Function.prototype.toString.call(current)))
      throw new CrewError(ErrorCodes.BadArgument, `${name} is a class: trace its methods instead`);
    const original = current as Fn;
    const record = (call: TraceCall) => this.record(call);
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const at = Date.now();
      const start = performance.now();
      const done = (ok: boolean, value: unknown) =>
        record({ name, args: printed(args, true), ok, value: printed(value), ms: performance.now() - start, at });
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (err) {
        done(false, err);
        throw err;
      }
      if (isThenable(result))
        result.then(
          (v) => done(true, v),
          (e: unknown) => done(false, e),
        );
      else done(true, result);
      return result;
    };
    Object.defineProperty(wrapper, 'name', { value: original.name });
    Object.defineProperty(wrapper, 'length', { value: original.length });
    parent[key] = wrapper;
    this.traced.set(name, { parent, key, original, wrapper });
    return name;
  }

  /** Puts the original back, unless the name has been given another function since. */
  untrace(path: readonly string[]): boolean {
    const name = path.join('.');
    const t = this.traced.get(name);
    if (!t) return false;
    this.traced.delete(name);
    if (t.parent[t.key] === t.wrapper) t.parent[t.key] = t.original;
    return true;
  }

  private parentOf(path: readonly string[], name: string): { parent: Record<string, unknown>; key: string } {
    if (path.length === 0) throw new CrewError(ErrorCodes.BadArgument, 'name a function to trace');
    let parent = vm.runInContext('globalThis', this.context) as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      const next = Object.getOwnPropertyDescriptor(parent, key);
      const value: unknown = next && 'value' in next ? next.value : undefined;
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null)
        throw new CrewError(ErrorCodes.BadArgument, `${name}: ${key} is not an object here`);
      parent = value as Record<string, unknown>;
    }
    return { parent, key: path.at(-1)! };
  }

  private record(call: TraceCall): void {
    const second = Math.floor(call.at / 1000);
    if (second !== this.second) {
      this.second = second;
      this.inSecond = 0;
    }
    if (++this.inSecond > MAX_PER_SECOND) {
      this.dropped++;
      this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
      return;
    }
    this.batch.push(call);
    // Posted from inside a long task too: the main thread forwards it while the task goes on.
    if (this.batch.length >= BATCH_CALLS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0 && this.dropped === 0) return;
    const calls = this.batch;
    const dropped = this.dropped;
    this.batch = [];
    this.dropped = 0;
    this.report(calls, dropped);
  }
}

function printed(v: unknown, list = false): string {
  let text = inspect(v, PRINT);
  if (list) text = text.replace(/^\[ ?/, '').replace(/ ?\]$/, '');
  return text.length > MAX_PRINTED ? `${text.slice(0, MAX_PRINTED - 1)}…` : text;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}
