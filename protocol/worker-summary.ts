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
}
