/**
 * Calls waiting for a pool to have a number of ready workers: told on every change of
 * members, each settles once its count is reached or its time is up.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';

export class SizeWatch {
  private readonly watchers = new Set<() => void>();

  constructor(private readonly size: () => number) {}

  /** Resolves once at least `count` workers are ready; rejects with `CREW_NO_WORKERS` after `timeoutMs`. */
  wait(count: number, timeoutMs: number): Promise<void> {
    if (this.size() >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(
          crewError(ErrorCodes.NoWorkers, `only ${this.size()} of ${count} workers joined within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const check = () => {
        if (this.size() < count) return;
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve();
      };
      this.watchers.add(check);
    });
  }

  /** Members changed: every wait whose count is reached settles. */
  changed(): void {
    for (const check of [...this.watchers]) check();
  }
}
