/**
 * The master's running aggregate of its pool, for the editor's cluster view: once a second,
 * per worker, the tasks it finished and their compute time, what is in flight, the queue,
 * and each worker's reported CPU and memory. Counters are read from the pool's own
 * bookkeeping, so nothing is done per task and the feed costs the same at any task rate.
 */
import { EventEmitter } from 'node:events';
import type { ClusterHistory, ClusterSample, ClusterWorkerSample } from '../../protocol/messages/lsp-cluster-messages';
import type { WorkerPool } from '../pool/pool';
import type { WorkerLink } from '../pool/worker-link';

/** How often the pool is sampled. */
export const CLUSTER_SAMPLE_MS = 1000;
/** Samples kept: the last minute. */
const KEEP = 60;

/** One pool's counters as last read, per link (a worker that reconnects is a new link, counting from 0). */
interface Seen {
  tasksDone: number;
  busyMs: number;
}

export class ClusterFeed extends EventEmitter<{ sample: [sample: ClusterSample] }> {
  private readonly samples: ClusterSample[] = [];
  private seen = new WeakMap<WorkerLink, Seen>();
  private lastPool?: WorkerPool;
  private lastAt = Date.now();
  private timer?: NodeJS.Timeout;
  private watchers = 0;

  constructor(
    private readonly getPool: () => WorkerPool | undefined,
    private readonly everyMs = CLUSTER_SAMPLE_MS,
  ) {
    super();
  }

  /** Starts sampling for one more watcher; returns what the last minute held. */
  watch(): ClusterHistory {
    if (this.watchers++ === 0) {
      // Counters before the first watcher are no part of any interval it sees.
      this.lastAt = Date.now();
      this.read(this.getPool(), this.lastAt);
      this.timer = setInterval(() => this.tick(), this.everyMs);
      this.timer.unref();
    }
    return this.history();
  }

  unwatch(): void {
    if (this.watchers === 0 || --this.watchers > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  history(): ClusterHistory {
    return { everyMs: this.everyMs, samples: [...this.samples] };
  }

  private tick(): void {
    const now = Date.now();
    const sample = this.read(this.getPool(), now);
    if (!sample) return;
    this.samples.push(sample);
    if (this.samples.length > KEEP) this.samples.splice(0, this.samples.length - KEEP);
    this.emit('sample', sample);
  }

  /** Reads the pool's counters; the sample covers what changed since the last read. */
  private read(pool: WorkerPool | undefined, now: number): ClusterSample | undefined {
    if (pool !== this.lastPool) this.seen = new WeakMap();
    this.lastPool = pool;
    const ms = Math.max(1, now - this.lastAt);
    this.lastAt = now;
    if (!pool) return undefined;
    const workers: ClusterWorkerSample[] = [];
    let tasks = 0;
    let inFlight = 0;
    for (const w of pool.workers) {
      const link = pool.link(w.id);
      if (!link || w.state === 'closed') continue;
      const before = this.seen.get(link) ?? { tasksDone: 0, busyMs: 0 };
      const done = link.tasksDone - before.tasksDone;
      const busy = link.busyMs - before.busyMs;
      this.seen.set(link, { tasksDone: link.tasksDone, busyMs: link.busyMs });
      tasks += done;
      inFlight += link.inflight.size;
      workers.push({
        id: w.id,
        tasks: done,
        busyMs: Math.round(busy),
        inFlight: link.inflight.size,
        ...(link.load && { cpu: link.load.cpu, rssBytes: link.load.rssBytes }),
      });
    }
    return {
      at: now,
      ms,
      tasks,
      throughput: Math.round((tasks * 1000) / ms),
      queued: pool.scheduler.queued,
      inFlight,
      workers,
    };
  }

  dispose(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watchers = 0;
    this.removeAllListeners();
  }
}
