/**
 * A worker's own measure of its load, for the master's cluster view: CPU time of the whole
 * process (main thread and eval thread alike) per interval, and its memory. Reading these
 * counters costs microseconds, so a report a second is free beside the work.
 */
import type { WorkerLoad } from '../../protocol/worker-summary';

/** How often a worker reports its load. */
export const LOAD_REPORT_MS = 1000;

/** Measures CPU as the change in `process.cpuUsage()` since the previous sample. */
export class LoadSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  sample(): WorkerLoad {
    const cpu = process.cpuUsage();
    const at = process.hrtime.bigint();
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const elapsedMicros = Number(at - this.lastAt) / 1000;
    this.lastCpu = cpu;
    this.lastAt = at;
    const mem = process.memoryUsage();
    return {
      cpu: elapsedMicros > 0 ? Math.max(0, usedMicros / elapsedMicros) : 0,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
    };
  }
}

/** Calls `send` with the load every {@link LOAD_REPORT_MS}; returns a function that stops it. */
export function startLoadReports(send: (load: WorkerLoad) => void, everyMs = LOAD_REPORT_MS): () => void {
  const sampler = new LoadSampler();
  const timer = setInterval(() => send(sampler.sample()), everyMs);
  // A report alone never keeps a worker alive.
  timer.unref();
  return () => clearInterval(timer);
}
