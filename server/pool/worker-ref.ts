/**
 * Naming a worker: by its id (`'w1'`), or by what `pool.workers` lists, as dpfw hands back
 * the worker it picked. One place turns either into the worker's link, with one error.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';

/** A worker as callers name it: its id, or an entry of `pool.workers`. */
export type WorkerRef = string | { readonly id: string };

/** The id a {@link WorkerRef} names; anything else is a clear error naming what was given. */
export function workerIdOf(worker: WorkerRef): string {
  if (typeof worker === 'string') return worker;
  if (typeof worker === 'object' && worker !== null && typeof (worker as { id?: unknown }).id === 'string')
    return worker.id;
  throw crewError(
    ErrorCodes.BadArgument,
    `a worker is named by its id ('w1') or an entry of pool.workers, not ${describe(worker)}`,
  );
}

/** The link of the worker named, or an error that names the workers there are. */
export function findWorker<L>(
  pool: { link(id: string): L | undefined; readonly workers: readonly { id: string }[] },
  worker: WorkerRef,
): L {
  const id = workerIdOf(worker);
  const link = pool.link(id);
  if (link) return link;
  const ids = pool.workers.map((w) => w.id);
  throw crewError(
    ErrorCodes.UnknownWorker,
    `there is no worker ${id}; ` + (ids.length ? `workers are ${ids.join(', ')}` : 'the pool has no workers'),
  );
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return `an object without an id (${Object.keys(x).slice(0, 4).join(', ') || 'empty'})`;
  return `${typeof x} ${String(x)}`;
}
