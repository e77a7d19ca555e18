/**
 * How Crew describes a worker to people: `pool.workers` and the pool's `workers-changed`
 * event on the master, and the editor's Workers view over LSP (`crew/listWorkers`,
 * `crew/workersChanged`). One declaration, so the view shows exactly what the pool knows.
 */

/**
 * `replaying` while a joining worker is sent the forms loaded before it came; `leaving` once
 * it said it is about to go (its batch job ends): it finishes what it holds and takes no more.
 */
export type WorkerState = 'replaying' | 'ready' | 'leaving' | 'closed';

/** Where Slurm runs a worker: its job (`123_4` for task 4 of array job 123) and compute node. */
export interface SlurmPlacement {
  job: string;
  node: string;
}

/** A worker's load, measured by the worker itself and sent with its heartbeat, about once a second. */
export interface WorkerLoad {
  /** CPU time of the whole worker process over the last interval, in cores (1 = one core fully busy). */
  cpu: number;
  /** Resident set size of the worker process, in bytes. */
  rssBytes: number;
  /** V8 heap in use, in bytes (main thread; the eval thread's heap counts in rssBytes). */
  heapUsedBytes: number;
}

/** One worker as the pool and the editor's Workers view show it. */
export interface WorkerSummary {
  /** The pool's id for it, `w1`, `w2`...; requests name a worker by it. */
  id: string;
  name: string;
  host: string;
  /** The far end of the pool's connection to it, `host:port`. */
  address: string;
  pid: number;
  state: WorkerState;
  /** Tasks sent to it that have not answered yet. */
  inFlight: number;
  tasksDone: number;
  /** Short text of the form the worker is running, if any. */
  currentTask?: string;
  /** Set when the worker runs inside a Slurm job. */
  slurm?: SlurmPlacement;
  /** The latest load the worker reported; missing until its first report. */
  load?: WorkerLoad;
}
