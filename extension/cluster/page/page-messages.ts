/**
 * What the cluster view's page and the extension say to each other (postMessage), declared
 * once for both: the extension forwards the master's samples and the workers' state; the
 * page asks to interrupt a worker, or to profile one (*Crew: Profile Workers* for it alone).
 */
import type { ClusterSample } from '../../../protocol/messages/lsp-cluster-messages';
import type { WorkerSummary } from '../../../protocol/worker-summary';

export type ToPage =
  | { type: 'history'; everyMs: number; samples: ClusterSample[] }
  | { type: 'sample'; sample: ClusterSample }
  | { type: 'workers'; workers: WorkerSummary[] };

export type FromPage = { type: 'interrupt'; worker: string } | { type: 'profile'; worker: string } | { type: 'ready' };

/** Samples a lane shows: the last minute. */
export const LANE_SECONDS = 60;
