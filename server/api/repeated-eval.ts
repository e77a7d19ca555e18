/**
 * Swank Crew's repeated evaluation: a form that evaluates to a function, called by the
 * workers until enough results are in (`evalFormRepeatedly`), or with a state that the
 * master updates from each result and sends back out (`evalRepeatedlyAsyncState`).
 */
import { encodeValue } from '../../protocol/codec/codec';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { Form } from './form';
import { masterImage } from './master-image';
import { checkTaskOptions, isLocal, run, type PoolArg, type TaskOptions } from './pool-tasks';
import type { WorkerPool } from '../pool/pool';
import type { WorkerLink } from '../pool/worker-link';

export interface RepeatOptions extends TaskOptions {
  /** How many workers take part (default: all). 0 evaluates on the master. */
  workerCount?: number;
}

/** The first `workerCount` ready workers, or undefined for all of them. */
function chooseWorkers(pool: WorkerPool, workerCount: number | undefined): ReadonlySet<WorkerLink> | undefined {
  const links = [...pool.readyLinks()];
  if (workerCount === undefined || workerCount >= links.length) return undefined;
  if (!Number.isInteger(workerCount) || workerCount < 0)
    throw crewError(ErrorCodes.BadArgument, `workerCount must be a whole number >= 0, got ${workerCount}`);
  return new Set(links.slice(0, workerCount));
}

/**
 * `form` evaluates to a function; workers call it until exactly `resultCount` results are
 * collected. Results come in completion order.
 */
export async function evalFormRepeatedly(
  pool: PoolArg,
  resultCount: number,
  form: Form,
  opts: RepeatOptions = {},
): Promise<unknown[]> {
  if (!Number.isInteger(resultCount) || resultCount < 0)
    throw crewError(ErrorCodes.BadArgument, `resultCount must be a whole number >= 0, got ${resultCount}`);
  checkTaskOptions(opts);
  if (isLocal(pool) || opts.workerCount === 0) {
    const fn = await masterImage().localFunction(form);
    const results: unknown[] = [];
    for (let i = 0; i < resultCount; i++) results.push(await fn());
    return results;
  }
  const allowed = chooseWorkers(pool, opts.workerCount);
  const def = await pool.forms.prepareFactory(form);
  const results: unknown[] = [];
  await Promise.all(
    Array.from({ length: resultCount }, () =>
      run(pool, { def, allowed, timeoutMs: opts.timeoutMs }).then((r) => void results.push(r.value)),
    ),
  );
  return results;
}

/** What `updateState` returns: the new state, whether to stop, whether workers get it. */
export type StateUpdate<S> = [state: S, done: boolean, distribute: boolean];

/**
 * `form` evaluates to a function of a state. Workers call it with the latest distributed
 * state. As in Swank Crew, `updateState(state, results)` gets the state and an array of every
 * result not yet processed (at least one): results that arrive while it runs are folded into
 * the next call, so a fast stream is taken in batches. Results computed from a stale state
 * are still passed on. Returns the final state.
 */
export async function evalRepeatedlyAsyncState<S>(
  pool: PoolArg,
  form: Form,
  initialState: S,
  updateState: (state: S, results: unknown[]) => StateUpdate<S> | Promise<StateUpdate<S>>,
  opts: RepeatOptions = {},
): Promise<S> {
  let state = initialState;
  checkTaskOptions(opts);
  if (isLocal(pool) || opts.workerCount === 0) {
    const fn = await masterImage().localFunction(form);
    for (;;) {
      const [next, done] = await updateState(state, [await fn(state)]);
      state = next;
      if (done) return state;
    }
  }
  const allowed = chooseWorkers(pool, opts.workerCount);
  const def = await pool.forms.prepareFactory(form);
  // At least one lane: in a pool that lost its workers it waits for the next, or fails after the grace.
  const lanes = Math.max(1, allowed?.size ?? pool.size);
  let distributed = encodeValue([state], 'state');
  return new Promise<S>((resolve, reject) => {
    let finished = false;
    let updating = false;
    const unprocessed: unknown[] = [];
    const fail = (err: Error) => {
      if (finished) return;
      finished = true;
      reject(err);
    };
    // Each result frees its lane; the lane runs again once the update that took it is done.
    const fold = async () => {
      if (updating || finished || unprocessed.length === 0) return;
      updating = true;
      const batch = unprocessed.splice(0);
      try {
        const [next, done, distribute] = await updateState(state, batch);
        state = next;
        if (done) {
          finished = true;
          resolve(state);
          return;
        }
        if (distribute) distributed = encodeValue([state], 'state');
        for (let i = 0; i < batch.length; i++) launch();
      } catch (err) {
        fail(err as Error);
        return;
      } finally {
        updating = false;
      }
      void fold();
    };
    const launch = () => {
      if (finished) return;
      run(pool, { def, args: distributed, allowed, timeoutMs: opts.timeoutMs }).then((r) => {
        unprocessed.push(r.value);
        void fold();
      }, fail);
    };
    for (let i = 0; i < lanes; i++) launch();
  });
}
