/**
 * Forms handed to a pool one by one: a list of forms run together (`parallel`, after dpfw),
 * and single tasks that carry a tag and report their compute time (`runTask`, after CL-MW's
 * task and result structures).
 */
import { findWorker, workerIdOf, type WorkerRef } from '../pool/worker-ref';
import { encodeValue } from '../../protocol/codec/codec';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { evalOn, type PoolArg, type TaskOptions } from './swank-crew';
import { checkTaskOptions, isLocal } from './pool-tasks';
import { isCallForm, type Form } from './form';
import { masterImage } from './master-image';

/**
 * Runs each form on whichever worker is free, all at once, and returns the results in the
 * order of `forms`. The first failure rejects the call.
 */
export async function parallel(pool: PoolArg, forms: readonly Form[], opts: TaskOptions = {}): Promise<unknown[]> {
  if (!Array.isArray(forms))
    throw crewError(ErrorCodes.BadArgument, `parallel needs an array of forms, got ${typeof forms}`);
  checkTaskOptions(opts);
  return Promise.all(forms.map((f) => evalOn(pool, null, f, opts)));
}

export interface RunTaskOptions<Tag> extends TaskOptions {
  /** Any value; it comes back unchanged in the result, as CL-MW's task tag does. */
  tag?: Tag;
  /** Run on this worker (id or name); by default on whichever worker is free. */
  worker?: WorkerRef | null;
}

/** What {@link runTask} resolves to: CL-MW's result structure. */
export interface TaskResult<Tag = unknown> {
  value: unknown;
  /** The tag the task was given, unchanged. */
  tag: Tag | undefined;
  /** Compute time on the worker in milliseconds, from the start of the task to its value. */
  ms: number;
  /** The worker that ran it (`master` for a null or empty pool). */
  worker: string;
}

/**
 * Runs one form and resolves to its value together with its tag, its compute time and the
 * worker that ran it. A failure rejects with the task's error.
 */
export async function runTask<Tag = unknown>(
  pool: PoolArg,
  form: Form,
  opts: RunTaskOptions<Tag> = {},
): Promise<TaskResult<Tag>> {
  const mode = isCallForm(form) ? 'call' : 'value';
  checkTaskOptions(opts);
  if (isLocal(pool)) {
    const worker = opts.worker ?? null;
    if (worker !== null && workerIdOf(worker) !== 'master')
      throw crewError(ErrorCodes.UnknownWorker, `there is no worker ${workerIdOf(worker)}: the pool is empty`);
    const start = performance.now();
    const value = await masterImage().evalForm(form, mode);
    return { value, tag: opts.tag, ms: performance.now() - start, worker: 'master' };
  }
  const worker = opts.worker ?? null;
  const target = worker === null ? undefined : findWorker(pool, worker);
  const { def, args } = await pool.forms.prepare(form, mode);
  const encoded = args && args.length > 0 ? encodeValue(args, 'arguments') : undefined;
  return new Promise((resolve, reject) => {
    pool.submit({ def, args: encoded, target, timeoutMs: opts.timeoutMs }, (o) =>
      o.ok ? resolve({ value: o.value, tag: opts.tag, ms: o.ms, worker: o.worker.id }) : reject(o.error),
    );
  });
}
