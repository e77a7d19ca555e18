/**
 * What the API functions share: a pool argument that may be null (evaluate on the master),
 * and a form turned into one task on the pool.
 */
import { encodeValue } from '../../protocol/codec/codec';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { Defaults } from '../../protocol/limits';
import type { FormDef } from '../../protocol/messages/worker-link-messages';
import { isCallForm, type Form } from './form';
import type { WorkerPool } from '../pool/pool';
import { checkWholeNumber } from '../pool/pool-options';
import type { WorkerLink } from '../pool/worker-link';

/** A pool, or null/undefined to evaluate on the master. */
export type PoolArg = WorkerPool | null | undefined;

/** Options every API call that makes tasks takes. */
export interface TaskOptions {
  /** Fail a task that runs longer than this, in milliseconds. */
  timeoutMs?: number;
}

/** A task as the API functions make it. */
export interface RunSpec extends TaskOptions {
  def: FormDef;
  args?: Uint8Array;
  target?: WorkerLink;
  allowed?: ReadonlySet<WorkerLink>;
  setup?: boolean;
}

/**
 * Whether calls on `pool` evaluate on the master: a null pool, or one made with no workers
 * that none has joined yet (`WorkerPool.evaluatesOnMaster`). A pool that had workers and lost
 * them queues the calls for the next one. A closed pool, or a first argument that is not a
 * pool, throws.
 */
export function isLocal(pool: PoolArg): pool is null | undefined {
  if (pool === null || pool === undefined) return true;
  if (!looksLikePool(pool))
    throw crewError(
      ErrorCodes.BadArgument,
      `the first argument is the pool (or null to evaluate on the master), not ${describeArg(pool)}`,
    );
  if (pool.closed) throw crewError(ErrorCodes.PoolClosed, 'the pool is disconnected');
  return pool.evaluatesOnMaster;
}

/**
 * By shape, not `instanceof`: a `crew run` script imports the package, whose copy of the class
 * is not the command line's.
 */
function looksLikePool(x: unknown): boolean {
  const p = x as Partial<WorkerPool> | null;
  return typeof p === 'object' && p !== null && typeof p.submit === 'function' && typeof p.readyLinks === 'function';
}

function describeArg(x: unknown): string {
  if (typeof x === 'string') return `the string ${JSON.stringify(x.slice(0, 40))}`;
  if (typeof x !== 'object') return `${typeof x} ${String(x)}`;
  const keys = Object.keys(x as object).slice(0, 4);
  return `an object with keys ${keys.join(', ') || 'none'}`;
}

/** Checks the options every call that makes tasks takes, on the master, before anything runs. */
export function checkTaskOptions(opts: unknown): TaskOptions {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object')
    throw crewError(
      ErrorCodes.BadArgument,
      `options must be an object such as { timeoutMs: 1000 }, got ${typeof opts}`,
    );
  checkWholeNumber('timeoutMs', (opts as TaskOptions).timeoutMs, 1);
  return opts;
}

/**
 * For a pool that had workers and has none now: waits the no-worker grace for one to be
 * ready, then fails with `CREW_NO_WORKERS`, as queued work does (no-worker-grace.ts).
 */
export async function awaitWorker(pool: WorkerPool): Promise<void> {
  if (pool.size > 0 || pool.workersComing) return;
  const graceMs = pool.options.noWorkerGraceMs ?? Defaults.noWorkerGraceMs;
  await pool.waitForWorkers(1, graceMs).catch(() => {
    if (pool.closed) throw crewError(ErrorCodes.PoolClosed, 'the pool is disconnected');
    throw crewError(ErrorCodes.NoWorkers, `no worker is left in the pool (waited ${graceMs} ms for one to join)`);
  });
}

/** Submits one task and resolves to its value and the worker that computed it. */
export function run(pool: WorkerPool, spec: RunSpec): Promise<{ value: unknown; worker: string }> {
  return new Promise((resolve, reject) => {
    pool.submit(spec, (o) => (o.ok ? resolve({ value: o.value, worker: o.worker.id }) : reject(o.error)));
  });
}

/** Arguments as a task carries them; none when there are none. */
export function encodeArgs(args: readonly unknown[] | undefined): Uint8Array | undefined {
  return args && args.length > 0 ? encodeValue(args, 'arguments') : undefined;
}

/**
 * A form's definition in the pool's registry, and its arguments encoded. A form prepared
 * before is found at once, without the registry's chain of awaits: a call repeated from the
 * editor or a loop pays for its form only the first time.
 */
export function prepare(
  pool: WorkerPool,
  form: Form,
): { def: FormDef; args?: Uint8Array } | Promise<{ def: FormDef; args?: Uint8Array }> {
  const mode = isCallForm(form) ? 'call' : 'value';
  const found = pool.forms.lookup(form, mode);
  if (found) return { def: found.def, args: encodeArgs(found.args) };
  return pool.forms.prepare(form, mode).then(({ def, args }) => ({ def, args: encodeArgs(args) }));
}
