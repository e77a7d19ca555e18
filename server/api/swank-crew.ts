/**
 * Swank Crew's API (the repeated evaluations are in repeated-eval.ts). Each call turns forms
 * into tasks for the pool's scheduler; a null or empty pool evaluates on the master instead.
 */
import { findWorker, workerIdOf, type WorkerRef } from '../pool/worker-ref';
import { encodeArgList } from '../../protocol/codec/codec';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { isCallForm, type Form } from './form';
import { masterImage } from './master-image';
import { awaitWorker, checkTaskOptions, isLocal, prepare, run, type PoolArg, type TaskOptions } from './pool-tasks';
import type { TaskOutcome } from '../pool/task';

export type { PoolArg, TaskOptions } from './pool-tasks';

export interface EvalAllOptions extends TaskOptions {
  /** Called as each worker finishes, with its id and result. */
  resultDone?: (workerId: string, result: unknown) => void;
  /** Replay the form on workers that join or reconnect later (default true). */
  replayRequired?: boolean;
}

/**
 * Runs `form` once on every worker and returns the results in worker order. With
 * `replayRequired` (the default) the form also runs on every worker that joins or
 * reconnects later, before that worker takes other work. A worker that dies during the
 * call is left out of the results; `resultDone` tells which worker gave which result.
 */
export async function evalFormAllWorkers(pool: PoolArg, form: Form, opts: EvalAllOptions = {}): Promise<unknown[]> {
  checkTaskOptions(opts);
  if (isLocal(pool)) {
    const value = await masterImage().evalForm(form, isCallForm(form) ? 'call' : 'value');
    opts.resultDone?.('master', value);
    return [value];
  }
  const { def, args } = await prepare(pool, form);
  const replay = opts.replayRequired ?? true;
  if (replay) pool.addReplay(def, args);
  // A pool that lost its workers runs the form on the next one to come, or fails after the grace.
  await awaitWorker(pool);
  const links = [...pool.readyLinks()];
  const outcomes = await Promise.allSettled(
    links.map((target) =>
      run(pool, { def, args, target, setup: replay, timeoutMs: opts.timeoutMs }).then((r) => {
        opts.resultDone?.(r.worker, r.value);
        return r.value;
      }),
    ),
  );
  const results: unknown[] = [];
  for (const o of outcomes) {
    if (o.status === 'fulfilled') results.push(o.value);
    else if ((o.reason as { code?: string }).code !== ErrorCodes.WorkerLost) throw o.reason;
  }
  if (results.length === 0 && links.length > 0)
    throw crewError(ErrorCodes.NoWorkers, 'every worker went away before the form finished');
  return results;
}

/**
 * Runs `form` on one worker, named by id (`w1`) or name, or on whichever worker is free
 * when `worker` is null.
 */
export async function evalOn(
  pool: PoolArg,
  worker: WorkerRef | null,
  form: Form,
  opts: TaskOptions = {},
): Promise<unknown> {
  checkTaskOptions(opts);
  if (isLocal(pool)) {
    if (worker !== null && workerIdOf(worker) !== 'master')
      throw crewError(ErrorCodes.UnknownWorker, `there is no worker ${workerIdOf(worker)}: the pool is empty`);
    return masterImage().evalForm(form, isCallForm(form) ? 'call' : 'value');
  }
  const target = worker === null ? undefined : findWorker(pool, worker);
  const { def, args } = await prepare(pool, form);
  return (await run(pool, { def, args, target, timeoutMs: opts.timeoutMs })).value;
}

/** How each element becomes work: a function giving a form, or a function form applied to it. */
export type MakeWork<T> = ((item: T, index: number) => Form) | Form;

/** Called with each result of a map as it completes: its index in the list, and the result. */
export type ResultDone = (index: number, result: unknown) => void;

export interface MapOptions extends TaskOptions {
  /** Called in completion order with each result's index and value. */
  resultDone?: ResultDone;
}

/**
 * Maps over `list` in parallel. Results come back in input order; `resultDone(index,
 * result)` is called in completion order. If a worker dies, its tasks move to others and
 * every result arrives exactly once. The fourth argument is `resultDone` or the options
 * (`{ resultDone, timeoutMs }`).
 */
export async function parallelMap<T>(
  pool: PoolArg,
  makeWork: MakeWork<T>,
  list: readonly T[],
  resultDoneOrOptions?: ResultDone | MapOptions,
  options?: MapOptions,
): Promise<unknown[]> {
  if (!Array.isArray(list)) throw crewError(ErrorCodes.BadArgument, `parallelMap needs an array, got ${typeof list}`);
  const opts = mapOptions(resultDoneOrOptions, options);
  const resultDone = opts.resultDone;
  const results = new Array<unknown>(list.length);
  if (isLocal(pool)) {
    for (let i = 0; i < list.length; i++) {
      const [f, extra] = workFor(makeWork, list[i], i);
      results[i] = await masterImage().evalForm(f, isCallForm(f) || extra ? 'call' : 'value', extra ?? []);
      resultDone?.(i, results[i]);
    }
    return results;
  }
  const live = pool;
  return new Promise<unknown[]>((resolve, reject) => {
    let remaining = list.length;
    let failed = false;
    if (remaining === 0) return resolve(results);
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    // Tasks are made as room appears rather than all at once, so a map over millions of
    // elements holds a bounded number of tasks on the master while the workers stay fed.
    const highWater = MAP_TASKS_PER_WORKER * Math.max(1, live.size);
    let outstanding = 0;
    let next = 0;
    let wake: (() => void) | undefined;
    const settle = (index: number) => (o: TaskOutcome) => {
      outstanding--;
      if (wake && outstanding <= highWater / 2) {
        const w = wake;
        wake = undefined;
        w();
      }
      if (failed) return;
      if (!o.ok) return fail(o.error);
      results[index] = o.value;
      try {
        resultDone?.(index, o.value);
      } catch (err) {
        return fail(err as Error);
      }
      if (--remaining === 0) resolve(results);
    };
    void (async () => {
      let sinceYield = 0;
      // A slice per worker: with one slice for the whole pool, each of many workers would get
      // a sliver of it per frame, and the master would pay a frame's cost for a few tasks.
      const slice = MAP_SUBMIT_SLICE_PER_WORKER * Math.max(2, live.size);
      while (next < list.length && !failed) {
        if (outstanding >= highWater) {
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        // The first tasks go out while the rest are still being made.
        if (++sinceYield > slice) {
          sinceYield = 0;
          await new Promise<void>((r) => setImmediate(r));
          continue;
        }
        const index = next++;
        const [f, extra] = workFor(makeWork, list[index], index);
        const mode = isCallForm(f) || extra ? 'call' : 'value';
        const { def, args } = live.forms.lookup(f, mode) ?? (await live.forms.prepare(f, mode));
        const all = !extra ? args : args && args.length > 0 ? [...args, ...extra] : extra;
        outstanding++;
        live.submit(
          { def, args: all && all.length > 0 ? encodeArgList(all) : undefined, timeoutMs: opts.timeoutMs },
          settle(index),
        );
      }
    })().catch(fail);
  });
}

/** The options of a map, whether the callback or the options object came fourth. */
function mapOptions(fourth: ResultDone | MapOptions | undefined, fifth: MapOptions | undefined): MapOptions {
  if (typeof fourth === 'function') return { ...checkTaskOptions(fifth), resultDone: fourth };
  if (fourth !== undefined && fourth !== null && typeof fourth !== 'object')
    throw crewError(
      ErrorCodes.BadArgument,
      `parallelMap's fourth argument is resultDone(index, result) or an options object, got ${typeof fourth}`,
    );
  const opts = { ...checkTaskOptions(fifth), ...checkTaskOptions(fourth) } as MapOptions;
  if (opts.resultDone !== undefined && typeof opts.resultDone !== 'function')
    throw crewError(ErrorCodes.BadArgument, `resultDone must be a function, got ${typeof opts.resultDone}`);
  return opts;
}

/** Tasks of one map kept submitted per worker; about 2 windows of the tiniest tasks. */
const MAP_TASKS_PER_WORKER = 4096;
/** Tasks made per worker before the map lets the first frames go out and results come in. */
const MAP_SUBMIT_SLICE_PER_WORKER = 512;

/** The form for one element, and extra arguments when `makeWork` is itself a function form. */
function workFor<T>(makeWork: MakeWork<T>, item: T, index: number): [Form, unknown[] | undefined] {
  if (typeof makeWork === 'function') return [makeWork(item, index), undefined];
  if (isCallForm(makeWork)) return [makeWork, [item]];
  if (
    typeof makeWork === 'string' ||
    (typeof makeWork === 'object' && makeWork !== null && typeof makeWork.code === 'string')
  )
    return [makeWork, [item]];
  throw crewError(
    ErrorCodes.BadForm,
    `makeWork must be a function returning a form, or a function form; got ${typeof makeWork}`,
  );
}

/**
 * Reduces the results of `makeWork` over `list` with `reducer`, in input order, so the
 * answer equals a sequential reduce even when `reducer` is not commutative. `opts` are the
 * map's (`timeoutMs`).
 */
export async function parallelReduce<T, A>(
  pool: PoolArg,
  makeWork: MakeWork<T>,
  list: readonly T[],
  initial: A,
  reducer: (acc: A, result: unknown) => A,
  opts: TaskOptions = {},
): Promise<A> {
  if (typeof reducer !== 'function')
    throw crewError(ErrorCodes.BadArgument, `parallelReduce needs a reducer function, got ${typeof reducer}`);
  let acc = initial;
  let next = 0;
  const ready = new Map<number, unknown>();
  await parallelMap(pool, makeWork, list, {
    timeoutMs: checkTaskOptions(opts).timeoutMs,
    resultDone: (index, result) => {
      ready.set(index, result);
      while (ready.has(next)) {
        acc = reducer(acc, ready.get(next));
        ready.delete(next++);
      }
    },
  });
  return acc;
}
