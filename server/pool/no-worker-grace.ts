/**
 * The wait after which work queued in a pool with no worker fails: armed when the last worker
 * leaves or work arrives with none there, cancelled when one becomes ready. While workers are
 * said to be on their way (a Slurm job's tasks pending), it waits again instead of failing.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';

/** What the grace needs of its pool. */
export interface GracePool {
  readonly size: number;
  readonly closed: boolean;
  readonly workersComing?: () => Promise<boolean>;
  readonly scheduler: { failQueued(error: Error): void };
}

export class NoWorkerGrace {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pool: GracePool,
    private readonly graceMs: number,
  ) {}

  arm(): void {
    if (this.timer || this.pool.closed) return;
    const timer = setTimeout(() => void this.ended(timer), this.graceMs);
    this.timer = timer;
    timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async ended(timer: NodeJS.Timeout): Promise<void> {
    const { pool } = this;
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
