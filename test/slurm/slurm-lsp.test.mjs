// The editor's way onto a Slurm cluster: `crew lsp` (as the VS Code extension starts it, with
// crew.slurm.* settings turned into a connectWorkers request) submits its workers to a real
// one-node Slurm cluster, and the Workers view's data names each worker's job and node.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import { until } from '../helpers.mjs';
import { slurmSkip, startSlurmCluster } from './slurm-cluster.mjs';
import { startServer } from '../lsp/lsp-client.mjs';

let cluster;
let s;

before(() => {
  if (!slurmSkip) cluster = startSlurmCluster();
});
after(async () => {
  await s?.stop();
  cluster?.stop();
});

const squeue = (job) => execFileSync('squeue', ['-h', '-r', '-j', job, '-o', '%i'], { encoding: 'utf8' }).trim();

test(
  'crew lsp submits Slurm workers for the editor, and each is shown with its job and node',
  { skip: slurmSkip },
  async () => {
    s = await startServer(['--audit-file', 'none']);
    // Held in the queue for a few seconds, past the pool's no-worker grace.
    const r = await s.request(s.P.ConnectWorkers.type, {
      slurm: { workers: 2, time: 10, sbatchArgs: ['--begin=now+6'] },
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.workers.length, 0, 'the workers are still in the queue');
    // Evaluating meanwhile waits for them rather than running on the master (the login node).
    const early = await s.request(s.P.EvalOn.type, {
      code: 'process.env.SLURM_JOB_ID',
      filename: '/t.ts',
      worker: null,
    });
    assert.equal(early.where, 'workers');
    assert.match(early.outcomes[0].worker, /^w\d$/);
    assert.match(early.outcomes[0].value, /^'\d+'$/);
    const submitted = await s.output.next((o) => /submitted Slurm job (\d+)/.test(o.text), 'the job id');
    const job = /submitted Slurm job (\d+)/.exec(submitted.text)[1];
    const state = await s.workers.next(
      (w) => w.workers.filter((x) => x.state === 'ready').length === 2,
      'both Slurm workers in the Workers view',
      120_000,
    );
    const jobs = state.workers.map((w) => w.slurm?.job).sort();
    assert.deepEqual(jobs, [`${job}_0`, `${job}_1`]);
    for (const w of state.workers) assert.equal(w.slurm.node, hostname().split('.')[0]);
    const all = await s.request(s.P.EvalAllWorkers.type, {
      code: 'process.env.SLURM_ARRAY_TASK_ID',
      filename: '/t.ts',
    });
    assert.deepEqual(all.outcomes.map((o) => o.value).sort(), ["'0'", "'1'"]);

    // Ending the master ends the job: nothing of Crew's is left in squeue.
    await s.stop();
    s = undefined;
    await until(() => squeue(job) === '', { timeoutMs: 30_000, what: 'squeue to drop the job' });
  },
);
