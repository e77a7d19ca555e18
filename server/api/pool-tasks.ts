/**
 * What the API functions share: a pool argument that may be null (evaluate on the master),
 * and a form turned into one task on the pool.
 */
import { encodeValue } from '../../protocol/codec/codec';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { FormDef } from '../../protocol/messages/worker-link-messages';
import { isCallForm, type Form } from './form';
import type { WorkerPool } from '../pool/pool';
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
 * Whether calls on `pool` evaluate on the master: a null pool, or an empty one with no worker
 * on its way (a pool waiting for its Slurm workers queues the calls for them). A closed pool throws.
 */
export function isLocal(pool: PoolArg): pool is null | undefined {
  if (pool && pool.closed) throw crewError(ErrorCodes.PoolClosed, 'the pool is disconnected');
  return !pool || (pool.size === 0 && !pool.workersComing);
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
