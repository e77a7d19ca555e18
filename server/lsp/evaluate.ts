/**
 * Evaluation requests from the editor. Unlike `evalFormAllWorkers`, which fails with the
 * first error, each worker's value or error is kept, so the editor can show every worker's
 * outcome. LSP cancellation interrupts the workers still running the form, and withdraws the
 * tasks not sent yet.
 */
import { ResponseError, type CancellationToken } from 'vscode-languageserver';
import { CrewError, crewError, ErrorCodes } from '../../protocol/errors';
import type { FormDef } from '../../protocol/messages/worker-link-messages';
import {
  LspErrorCodes,
  type EvalAllParams,
  type EvalOnParams,
  type EvalParams,
  type EvalResult,
  type ProgressParams,
  type TaskProgressParams,
  type WorkerOutcome,
} from '../../protocol/messages/lsp-messages';
import type { FormSource } from '../../protocol/form-source';
import { awaitWorker } from '../api/pool-tasks';
import { trackProgress } from '../api/progress';
import type { TaskOutcome } from '../pool/task';
import { errorOutcome, valueOutcome } from './present';
import type { WorkerPool } from '../pool/pool';
import type { LspMaster } from './lsp-master';

export type ProgressSink = (progress: ProgressParams) => void;
export type TaskProgressSink = (progress: TaskProgressParams) => void;

/** Where an evaluation reports: workers' outcomes as they arrive, and the pool's tasks for code on the master. */
export interface Sinks {
  progress: ProgressSink;
  tasks?: TaskProgressSink;
}

function toForm(p: EvalParams): FormSource {
  return { code: p.code, filename: p.filename, line: p.line, column: p.column };
}

function cancelled(what: string): ResponseError<void> {
  return new ResponseError(LspErrorCodes.RequestCancelled, `evaluation cancelled: ${what}`);
}

/** Longest wait for a pool's first Slurm worker: a queue wait can be long, and the editor can cancel. */
const FIRST_WORKER_WAIT_MS = 15 * 60_000;

/**
 * A pool whose workers are still on their way (Slurm's queue) is waited for, not bypassed:
 * the code belongs on the compute nodes, not on the login node where the master runs.
 */
async function firstWorker(pool: WorkerPool, token: CancellationToken): Promise<void> {
  if (pool.size > 0 || !pool.workersComing) return;
  let stop: (() => void) | undefined;
  try {
    await Promise.race([
      pool.waitForWorkers(1, FIRST_WORKER_WAIT_MS),
      new Promise<never>((_, reject) => {
        const sub = token.onCancellationRequested(() => reject(cancelled('while waiting for the first worker')));
        stop = () => sub.dispose();
      }),
    ]);
  } finally {
    stop?.();
  }
}

/**
 * Runs on the master. Its own code cannot be interrupted, so cancelling only stops waiting.
 * While it runs, the pool's progress (a map it started, say) goes to `tasks`.
 */
export async function evalMaster(
  master: LspMaster,
  p: EvalParams,
  token: CancellationToken,
  tasks?: TaskProgressSink,
): Promise<EvalResult> {
  const pool = master.pool;
  const progressToken = p.progressToken;
  const stopTracking =
    pool && tasks && progressToken
      ? trackProgress(pool, (pr) => {
          if (pr) tasks({ token: progressToken, ...pr });
        })
      : undefined;
  const work = master.image.evaluate(toForm(p)).then(
    (v) => valueOutcome('master', v, p.colors),
    (err: unknown) => errorOutcome('master', err),
  );
  const outcome = await new Promise<WorkerOutcome | undefined>((resolve) => {
    const sub = token.onCancellationRequested(() => resolve(undefined));
    void work.then((o) => {
      sub.dispose();
      resolve(o);
    });
  }).finally(() => stopTracking?.());
  if (!outcome) throw cancelled('the master stopped waiting; code running on the master itself finishes on its own');
  return { where: 'master', outcomes: [outcome] };
}

/** Runs once on every ready worker, or on the master when the pool is empty. */
export async function evalAll(
  master: LspMaster,
  p: EvalAllParams,
  token: CancellationToken,
  sinks: Sinks,
): Promise<EvalResult> {
  const { progress } = sinks;
  const pool = master.pool;
  if (!pool || pool.evaluatesOnMaster) return evalMaster(master, p, token, sinks.tasks);
  await firstWorker(pool, token);
  // A pool that lost its workers runs the form on the next one, or fails after the grace.
  await awaitWorker(pool);
  const prepared = await prepare(pool, p);
  if ('where' in prepared) return prepared;
  const { def } = prepared;
  if (token.isCancellationRequested) throw cancelled('before it started');
  const replay = p.replay === true;
  if (replay) pool.addReplay(def);
  const links = [...pool.readyLinks()];
  // `printable`: the editor shows what it gets, so a value a worker cannot send (a function)
  // comes back as the worker's print of it and counts as done (see server/api/interactive.ts).
  const result = runTracked(
    pool,
    links.map((l) => l.id),
    token,
    progress,
    p.progressToken,
    (settle) =>
      links.map(
        (target) => pool.submit({ def, target, setup: replay, printable: true }, (o) => settle(target.id, o)).id,
      ),
    p.colors,
  );
  master.workersTouched();
  // A form the editor interrupted on every worker is no setup for the workers that join later.
  return replay
    ? result.catch((err: unknown) => {
        if (err instanceof ResponseError && err.code === LspErrorCodes.RequestCancelled) pool.dropReplay(def);
        throw err;
      })
    : result;
}

/** Runs on one named worker, on whichever is free (`worker: null`), or on `master`. */
export async function evalOn(
  master: LspMaster,
  p: EvalOnParams,
  token: CancellationToken,
  sinks: Sinks,
): Promise<EvalResult> {
  const { progress } = sinks;
  if (p.worker === 'master') return evalMaster(master, p, token, sinks.tasks);
  const pool = master.pool;
  if (pool && p.worker === null) await firstWorker(pool, token);
  if (!pool || pool.evaluatesOnMaster) {
    if (p.worker === null) return evalMaster(master, p, token, sinks.tasks);
    throw crewError(ErrorCodes.UnknownWorker, `there is no worker ${p.worker}: the pool is empty`);
  }
  const target = p.worker === null ? undefined : pool.link(p.worker);
  if (p.worker !== null && !target)
    throw crewError(
      ErrorCodes.UnknownWorker,
      `there is no worker ${p.worker}; workers are ${pool.workers.map((w) => w.id).join(', ') || 'none now'}`,
    );
  const prepared = await prepare(pool, p);
  if ('where' in prepared) return prepared;
  const { def } = prepared;
  if (token.isCancellationRequested) throw cancelled('before it started');
  const key = target?.id ?? 'any';
  const result = runTracked(
    pool,
    [key],
    token,
    progress,
    p.progressToken,
    (settle) => [pool.submit({ def, target, printable: true }, (o) => settle(key, o)).id],
    p.colors,
  );
  master.workersTouched();
  return result;
}

/**
 * Compiles the form on the master. Code that does not compile is an outcome of `master`,
 * shown where it was evaluated like any other error, not a failed request.
 */
async function prepare(pool: WorkerPool, p: EvalParams): Promise<{ def: FormDef } | EvalResult> {
  try {
    return await pool.forms.prepare(toForm(p), 'value');
  } catch (err) {
    if (err instanceof CrewError && (err.code === ErrorCodes.FormSyntax || err.code === ErrorCodes.BadForm))
      return { where: 'master', outcomes: [errorOutcome('master', err)] };
    throw err;
  }
}

type Settle = (key: string, outcome: TaskOutcome) => void;

/**
 * Submits tasks (through `submit`, which returns their ids in the order of `keys`) and
 * collects one outcome per key, reporting progress as each arrives. On cancellation the
 * tasks not sent yet are withdrawn, and the workers holding one that has not finished are
 * interrupted.
 */
function runTracked(
  pool: WorkerPool,
  keys: string[],
  token: CancellationToken,
  progress: ProgressSink,
  progressToken: string | undefined,
  submit: (settle: Settle) => number[],
  colors?: boolean,
): Promise<EvalResult> {
  return new Promise<EvalResult>((resolve, reject) => {
    const outcomes = new Map<string, WorkerOutcome>();
    const pending = new Set(keys);
    let taskIds: number[] = [];
    let interrupted: string[] | undefined;
    const finish = () => {
      sub.dispose();
      if (interrupted)
        return reject(
          cancelled(interrupted.length > 0 ? `interrupted ${interrupted.join(', ')}` : 'nothing was running'),
        );
      resolve({ where: 'workers', outcomes: keys.map((k) => outcomes.get(k)!) });
    };
    const settle: Settle = (key, o) => {
      if (!pending.delete(key)) return;
      const worker = o.ok ? o.worker.id : (o.worker?.id ?? key);
      const outcome = o.ok ? valueOutcome(worker, o.value, colors) : errorOutcome(worker, o.error);
      outcomes.set(key, outcome);
      if (progressToken) progress({ token: progressToken, done: outcomes.size, total: keys.length, outcome });
      if (pending.size === 0) finish();
    };
    const sub = token.onCancellationRequested(() => {
      interrupted = [];
      const running = new Set(taskIds.filter((_, i) => pending.has(keys[i])));
      // Those not sent yet (submitted this very tick, or waiting for a worker) never start:
      // no interrupt could reach them, and a loop among them would keep the request open.
      pool.scheduler.withdraw(running, crewError(ErrorCodes.Interrupted, 'cancelled before it was sent to a worker'));
      for (const link of pool.readyLinks()) {
        if (![...running].some((id) => link.inflight.has(id))) continue;
        interrupted.push(...pool.interrupt(link.id));
      }
    });
    try {
      taskIds = submit(settle);
    } catch (err) {
      sub.dispose();
      reject(err as Error);
    }
  });
}
