/**
 * Progress of long runs of work. The pool is sampled a few times a second: tasks waiting
 * and in flight, and tasks done since the pool last went idle. Sampling, rather than hooks
 * in every call, means any call shows progress (maps, repeated evaluation, many `evalOn`s)
 * and costs nothing per task.
 */
import type { WorkerPool } from '../pool/pool';

/** One sample of a run of work: from the moment the pool got busy until it is idle again. */
export interface Progress {
  /** Tasks finished in this run. */
  done: number;
  /** Tasks finished plus those still waiting or running. */
  total: number;
  /** Workers in the pool now. */
  workers: number;
  /** Milliseconds since the run began. */
  elapsedMs: number;
}

export interface TrackOptions {
  /** How often to sample (default 100 ms). */
  intervalMs?: number;
  /** Report a run only once it has lasted this long (default 500 ms). */
  delayMs?: number;
  /** Report only runs of at least this many tasks (default 2). */
  minTasks?: number;
}

/**
 * Calls `onProgress` with each sample of a run that is long enough, and with `undefined`
 * once the run is over. Returns a function that stops tracking.
 */
export function trackProgress(
  pool: WorkerPool,
  onProgress: (p: Progress | undefined) => void,
  opts: TrackOptions = {},
): () => void {
  const delayMs = opts.delayMs ?? 500;
  const minTasks = opts.minTasks ?? 2;
  // Tasks done before tracking began are no part of any run it reports.
  const lastDone = new Map<string, number>(pool.workers.map((w) => [w.id, w.tasksDone]));
  let completed = 0;
  let run: { start: number; startCompleted: number; reported: boolean } | undefined;

  const sample = () => {
    // Tasks that finished since the last sample belong to this run if it begins now: the
    // pool went busy somewhere in that interval, not at this sample.
    const completedBefore = completed;
    let inFlight = 0;
    for (const w of pool.workers) {
      inFlight += w.inFlight;
      // A worker that reconnects starts counting again from 0.
      const before = lastDone.get(w.id) ?? 0;
      completed += w.tasksDone >= before ? w.tasksDone - before : w.tasksDone;
      lastDone.set(w.id, w.tasksDone);
    }
    const pending = pool.scheduler.queued + inFlight;
    const now = Date.now();
    if (pending === 0 || pool.closed) {
      if (run?.reported) onProgress(undefined);
      run = undefined;
      return;
    }
    run ??= { start: now, startCompleted: completedBefore, reported: false };
    const done = completed - run.startCompleted;
    const p: Progress = { done, total: done + pending, workers: pool.size, elapsedMs: now - run.start };
    if (run.reported || (p.elapsedMs >= delayMs && p.total >= minTasks)) {
      run.reported = true;
      onProgress(p);
    }
  };
  const timer = setInterval(sample, opts.intervalMs ?? 100);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (run?.reported) onProgress(undefined);
    run = undefined;
  };
}

/** Where a bar is drawn: a terminal stream, or anything with `write`. */
export interface BarStream {
  write(text: string): unknown;
  columns?: number;
}

export interface BarOptions extends TrackOptions {
  /** Default: stderr, so that results on stdout stay clean. */
  stream?: BarStream;
}

/** Formats one line of the bar: `[#########.........] 512/1000 tasks  51%  2 workers  3.2 s`. */
export function formatBar(p: Progress, columns = 80): string {
  const pct = p.total > 0 ? p.done / p.total : 0;
  const tail =
    ` ${p.done}/${p.total} tasks ${String(Math.floor(pct * 100)).padStart(3)}%  ` +
    `${p.workers} worker${p.workers === 1 ? '' : 's'}  ${(p.elapsedMs / 1000).toFixed(1)} s`;
  const width = Math.max(10, Math.min(40, columns - tail.length - 3));
  const filled = Math.round(pct * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`;
}

/**
 * Draws a progress bar for long runs of work on one terminal line, and clears it when the
 * run ends. Anything else written meanwhile (worker output, the script's own, audit lines)
 * first clears the bar, so it gets a line of its own; the next sample draws the bar again
 * below it. Returns a function that removes the bar for good.
 */
export function showProgress(pool: WorkerPool, opts: BarOptions = {}): () => void {
  const stream = opts.stream ?? process.stderr;
  let drawn = false;
  let draw = (text: string) => void stream.write(text);
  const clear = () => {
    if (drawn) draw('\r\x1b[K');
    drawn = false;
  };
  const stop = trackProgress(
    pool,
    (p) => {
      if (!p) return clear();
      draw(`\r${formatBar(p, stream.columns ?? 80)}\x1b[K`);
      drawn = true;
    },
    opts,
  );
  const release = [stream, process.stdout, process.stderr]
    .filter((s, i, all) => all.indexOf(s) === i)
    .map((s) => clearBefore(s, clear));
  // The bar's own writes go past the hook on its stream.
  const own = release[0].original;
  draw = (text) => void own(text);
  return () => {
    stop();
    clear();
    for (const r of release) r.restore();
  };
}

/** Calls `before` ahead of every write to `stream`, until restored. */
function clearBefore(
  stream: BarStream,
  before: () => void,
): { original: (text: string) => unknown; restore: () => void } {
  const own = Object.prototype.hasOwnProperty.call(stream, 'write') ? stream.write : undefined;
  const original = stream.write.bind(stream) as (...args: unknown[]) => unknown;
  let active = true;
  const hooked = (...args: unknown[]) => {
    if (active) before();
    return original(...args);
  };
  stream.write = hooked;
  return {
    original: (text) => original(text),
    restore: () => {
      active = false;
      // Wrapped again after us, the stream keeps the later wrapper, and ours passes through.
      if (stream.write !== hooked) return;
      if (own) stream.write = own;
      else delete (stream as { write?: unknown }).write;
    },
  };
}
