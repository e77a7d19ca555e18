/**
 * Results in completion order, fastest first: of any promises (`inCompletionOrder`), or of
 * a map over a pool (`asCompleted`), as an async iterator fed by callbacks.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';
import { Queue } from '../../protocol/queue';
import { parallelMap, type MakeWork, type MapOptions, type PoolArg } from './swank-crew';

/**
 * Yields `[index, value]` for each promise as it settles, fastest first. A rejection is
 * thrown from the iterator when it is reached; later values are then dropped.
 */
export async function* inCompletionOrder<T>(
  promises: readonly PromiseLike<T>[],
): AsyncGenerator<[number, T], void, undefined> {
  if (!Array.isArray(promises))
    throw crewError(ErrorCodes.BadArgument, `inCompletionOrder needs an array of promises, got ${typeof promises}`);
  const inbox = new Inbox<[number, T]>(promises.length);
  promises.forEach((p, i) => {
    Promise.resolve(p).then(
      (v) => inbox.put([i, v]),
      (e: unknown) => inbox.fail(e),
    );
  });
  yield* inbox.drain();
}

/**
 * Maps `makeWork` over `list` like `parallelMap`, but yields `[index, result]` pairs in
 * completion order, as soon as each arrives. Breaking out of the loop early stops the
 * iteration; tasks already handed to the pool still run, and their results are dropped.
 */
export async function* asCompleted<T>(
  pool: PoolArg,
  makeWork: MakeWork<T>,
  list: readonly T[],
  opts: MapOptions = {},
): AsyncGenerator<[number, unknown], void, undefined> {
  if (!Array.isArray(list)) throw crewError(ErrorCodes.BadArgument, `asCompleted needs an array, got ${typeof list}`);
  const inbox = new Inbox<[number, unknown]>(list.length);
  parallelMap(pool, makeWork, list, (i, r) => inbox.put([i, r]), opts).then(
    () => inbox.close(),
    (e: unknown) => inbox.fail(e),
  );
  yield* inbox.drain();
}

/** A queue between callbacks and an async iterator, for `expected` items at most. */
class Inbox<T> {
  private readonly items = new Queue<T>();
  private wake?: () => void;
  private error?: { e: unknown };
  private done = false;
  private received = 0;

  constructor(private readonly expected: number) {
    if (expected === 0) this.done = true;
  }

  put(item: T): void {
    this.items.push(item);
    if (++this.received >= this.expected) this.done = true;
    this.notify();
  }

  fail(e: unknown): void {
    this.error ??= { e };
    this.notify();
  }

  close(): void {
    this.done = true;
    this.notify();
  }

  async *drain(): AsyncGenerator<T, void, undefined> {
    for (;;) {
      while (this.items.length > 0) yield this.items.shift()!;
      if (this.error) throw this.error.e;
      if (this.done) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
