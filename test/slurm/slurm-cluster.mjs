// The real one-node Slurm cluster of the Slurm tiers (scripts/slurm-cluster.sh): why a file
// must skip on this machine, and starting and stopping one by the pids it wrote.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../helpers.mjs';

const script = join(root, 'scripts', 'slurm-cluster.sh');

/** Why Slurm tests cannot run here, or undefined when they can. */
export const slurmSkip =
  process.getuid?.() !== 0
    ? 'the Slurm tier starts slurmctld and slurmd, which needs root'
    : spawnSync('sh', ['-c', 'command -v sbatch && command -v munged']).status !== 0
      ? 'Slurm is not installed (apt-get install slurm-wlm munge; .ci/run does)'
      : undefined;

/**
 * Starts a cluster and points this process (and so what it starts) at it with SLURM_CONF.
 * Its folder sits right under the temporary one: munged, another user, has to reach into it.
 */
export function startSlurmCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'crew-slurm-'));
  process.env.SLURM_CONF = execFileSync('bash', [script, 'start', dir], { encoding: 'utf8' }).trim();
  return {
    dir,
    stop() {
      execFileSync('bash', [script, 'stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
