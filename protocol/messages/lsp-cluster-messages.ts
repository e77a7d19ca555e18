/**
 * The cluster view's messages between the editor and the master. The master samples its
 * pool once a second and sends each sample (counts per worker, never one entry per task),
 * so the view costs the same at ten tasks a second as at a hundred thousand.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';

/** One worker in one sample. */
export interface ClusterWorkerSample {
  /** The pool's id, `w1`... */
  id: string;
  /** Tasks the worker finished during the sample's interval. */
  tasks: number;
  /** Compute time of those tasks, in ms, as the worker measured them. */
  busyMs: number;
  /** Tasks sent to it and not yet answered, at the sample's end. */
  inFlight: number;
  /** CPU in cores and resident memory in bytes, as the worker last reported them. */
  cpu?: number;
  rssBytes?: number;
}

/** The pool over one interval (a second): a time bucket of the task stream. */
export interface ClusterSample {
  /** When the interval ended, ms since the epoch. */
  at: number;
  /** Length of the interval, in ms. */
  ms: number;
  /** Tasks finished in the interval, by all workers. */
  tasks: number;
  /** `tasks` per second. */
  throughput: number;
  /** Tasks waiting in the master's queue for a worker. */
  queued: number;
  /** Tasks on workers, not yet answered. */
  inFlight: number;
  workers: ClusterWorkerSample[];
}

export interface WatchClusterParams {
  /** True to receive a {@link ClusterSampleNote} each second; false to stop. */
  watch: boolean;
}

export interface ClusterHistory {
  /** How often the master samples, in ms. */
  everyMs: number;
  /** The samples of the last minute, oldest first (empty when no pool has run). */
  samples: ClusterSample[];
}

/** Start or stop the samples for this editor; answers with the last minute of them. */
export namespace WatchCluster {
  export const method = 'crew/watchCluster';
  export const type = new RequestType<WatchClusterParams, ClusterHistory, void>(method);
}

/** Server -> editor: one sample, each second, while the editor watches. */
export namespace ClusterSampleNote {
  export const method = 'crew/clusterSample';
  export const type = new NotificationType<ClusterSample>(method);
}
