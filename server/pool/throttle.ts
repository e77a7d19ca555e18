/**
 * Runs an action at most once per interval: at once when the last run was long enough ago,
 * otherwise once at the end of the interval, however often it is asked for meanwhile. For
 * work whose cost grows with the pool (a summary of every worker) that is asked for per task.
 */
export class Throttle {
  private timer?: NodeJS.Timeout;
  private last = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly action: () => void,
  ) {}

  /** Asks for a run: now, or at the end of the interval. */
  poke(): void {
    if (this.timer) return;
    const wait = this.last + this.intervalMs - performance.now();
    if (wait <= 0) return this.now();
    this.timer = setTimeout(() => this.now(), wait);
    this.timer.unref();
  }

  /** Runs now, dropping a run that was waiting. */
  now(): void {
    this.cancel();
    this.last = performance.now();
    this.action();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
