/**
 * How long calls wait in an empty pool: a worker that drops and redials, or one on its way,
 * gets a grace before the queued calls fail with `CREW_NO_WORKERS`. While the pool says
 * more workers are coming (a Slurm job's tasks pending or starting), the grace starts again.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';

/** What the grace needs of its pool. */
export interface GracePool {
  readonly size: number;
  readonly closed: boolean;
  workersComing?: () => Promise<boolean>;
  scheduler: { failQueued(err: Error): void };
}

export class NoWorkerGrace {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pool: GracePool,
    private readonly graceMs: number,
  ) {}

  /** Starts the grace, unless it already runs. */
  arm(): void {
    if (this.timer || this.pool.closed) return;
    const timer = setTimeout(() => void this.ended(timer), this.graceMs);
    this.timer = timer;
    timer.unref();
  }

  /** A worker arrived, or the pool closed. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async ended(timer: NodeJS.Timeout): Promise<void> {
    const pool = this.pool;
    if (pool.size > 0 || pool.closed) return void (this.timer = undefined);
    // The timer stays set while asking, so nothing arms a second one meanwhile.
    const coming = (await pool.workersComing?.().catch(() => false)) ?? false;
    if (this.timer !== timer) return;
    this.timer = undefined;
    if (pool.size > 0 || pool.closed) return;
    if (coming) return this.arm();
    pool.scheduler.failQueued(
      crewError(ErrorCodes.NoWorkers, `no worker is left in the pool (waited ${this.graceMs} ms for one to join)`),
    );
  }
}
