/**
 * Where Slurm placed this worker, from the variables Slurm sets in a job's environment, so
 * the master's Workers view can say which job and compute node each worker is.
 */
import { hostname } from 'node:os';
import type { SlurmPlacement } from '../../protocol/worker-summary';

/** The worker's Slurm job and node, or undefined outside Slurm. */
export function slurmPlacement(env: NodeJS.ProcessEnv = process.env): SlurmPlacement | undefined {
  if (!env.SLURM_JOB_ID) return undefined;
  // An array task's own job id is a number of its own; people know it as ARRAYJOB_TASK, as squeue shows it.
  const job =
    env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID
      ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`
      : env.SLURM_JOB_ID;
  return { job, node: env.SLURMD_NODENAME ?? hostname() };
}
