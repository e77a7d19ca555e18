// Workers as a job array on a real one-node Slurm cluster (slurm-wlm and munge, started here
// by scripts/slurm-cluster.sh and stopped by its pids): they join and map, they run inside
// Slurm jobs, the secret is in nothing Slurm shows, a cancelled array task loses nothing,
// and ending the pool or `crew launch` empties squeue.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { evalFormAllWorkers, parallelMap, startMaster } from 'crew';
import { SECRET, startCrew, tempDir, until } from '../helpers.mjs';
import { slurmSkip, startSlurmCluster } from './slurm-cluster.mjs';

const dir = tempDir();
const secretFile = join(dir, 'secret');
let cluster;

before(() => {
  if (slurmSkip) return;
  writeFileSync(secretFile, SECRET, { mode: 0o600 });
  cluster = startSlurmCluster();
});
after(() => cluster?.stop());

const squeue = (job) => execFileSync('squeue', ['-h', '-r', '-j', job, '-o', '%i %T'], { encoding: 'utf8' }).trim();
const slurmMaster = (workers, extra = {}) =>
  startMaster({ secretFile, audit: { to: 'none' }, slurm: { workers, logDir: join(dir, 'logs'), ...extra } });

test(
  'startMaster({ slurm }) workers join, map, and run inside Slurm jobs; nothing Slurm shows holds the secret',
  { skip: slurmSkip },
  async () => {
    process.env.CREW_SECRET = SECRET; // sbatch would export it to the job: it must be stripped
    const pool = await slurmMaster(2);
    delete process.env.CREW_SECRET;
    try {
      const job = pool.slurmJob.jobId;
      assert.match(job, /^\d+$/);
      await until(() => pool.size === 2, { timeoutMs: 60_000, what: 'both Slurm workers to join' });
      assert.deepEqual(await parallelMap(pool, (x) => `${x} * ${x}`, [1, 2, 3, 4]), [1, 4, 9, 16]);
      const env = await evalFormAllWorkers(pool, '[process.env.SLURM_ARRAY_JOB_ID, process.env.CREW_SECRET]', {
        replayRequired: false,
      });
      assert.deepEqual(env, [
        [job, undefined],
        [job, undefined],
      ]);
      const shown = [
        execFileSync('scontrol', ['show', 'job', '-d', job], { encoding: 'utf8' }),
        execFileSync('scontrol', ['write', 'batch_script', job, '-'], { encoding: 'utf8' }),
      ].join('\n');
      assert.match(shown, /crew-worker\.sh|--secret-file/);
      assert.ok(!shown.includes(SECRET), 'the secret is in no scontrol output');
      await pool.close();
      await until(() => squeue(job) === '', { timeoutMs: 30_000, what: 'squeue to drop the job' });
    } finally {
      await pool.close();
    }
  },
);

test('scancel of one array task mid-map loses and duplicates nothing', { skip: slurmSkip }, async () => {
  const pool = await slurmMaster(2);
  try {
    await until(() => pool.size === 2, { timeoutMs: 60_000, what: 'both Slurm workers to join' });
    const job = pool.slurmJob.jobId;
    const seen = new Map();
    const list = Array.from({ length: 60 }, (_, i) => i);
    const map = parallelMap(
      pool,
      (x) => `new Promise((r) => setTimeout(() => r(${x} * 2), 25))`,
      list,
      (i) => seen.set(i, (seen.get(i) ?? 0) + 1),
    );
    await until(() => seen.size >= 10, { what: 'ten results before the cancel' });
    execFileSync('scancel', [`${job}_1`]);
    assert.deepEqual(
      await map,
      list.map((x) => x * 2),
    );
    assert.ok([...seen.values()].every((n) => n === 1) && seen.size === 60, 'each result exactly once');
  } finally {
    await pool.close();
  }
});

test(
  'crew launch --slurm: workers join a master; a wrong address is diagnosed; SIGTERM empties squeue',
  { skip: slurmSkip },
  async () => {
    const pool = await startMaster({ secretFile, audit: { to: 'none' } });
    const { host, port, member } = pool.listenAddress;
    const args = ['--secret-file', secretFile, '--log-dir', join(dir, 'launch-logs')];
    const launch = await startCrew([
      'launch',
      '--slurm',
      '2',
      '--connect',
      `${host}:${port}`,
      '--member',
      member,
      ...args,
    ]);
    try {
      await until(() => /submitted Slurm job (\d+)/.test(launch.stderr), { what: 'the job id on stderr' });
      const job = /submitted Slurm job (\d+)/.exec(launch.stderr)[1];
      await until(() => pool.size === 2, { timeoutMs: 60_000, what: 'both workers to join' });
      launch.child.kill('SIGTERM');
      const exit = await launch.exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(squeue(job), '', 'nothing of the job is left in squeue');

      const lost = await startCrew([
        'launch',
        '--slurm',
        '1',
        '--connect',
        '127.0.0.1:9',
        '--arrival-timeout',
        '3',
        ...args,
      ]);
      await until(() => /told to dial 127\.0\.0\.1:9/.test(lost.stderr), { timeoutMs: 60_000, what: 'the diagnosis' });
      assert.match(lost.stderr, /listens only on 127\.0\.0\.1, which compute nodes cannot reach/);
      assert.match(lost.stderr, /First worker's log, \S+crew-\d+_0\.log/);
      lost.child.kill('SIGTERM');
      await lost.exited;
    } finally {
      if (launch.child.exitCode === null) launch.child.kill('SIGTERM');
      await pool.close();
    }
  },
);

test(
  'a map issued right after startMaster({ slurm }) waits for workers still pending in the queue',
  { skip: slurmSkip },
  async () => {
    // --begin holds the array pending past the 5 s no-worker grace, as a busy queue would.
    const pool = await slurmMaster(2, { sbatchArgs: ['--begin=now+8'] });
    try {
      assert.equal(pool.size, 0, 'no worker has joined yet');
      assert.match(squeue(pool.slurmJob.jobId), /PENDING/);
      const job = pool.slurmJob.jobId;
      const results = await parallelMap(pool, (x) => `[${x} + 1, process.env.SLURM_ARRAY_JOB_ID]`, [1, 2, 3]);
      assert.deepEqual(
        results,
        [
          [2, job],
          [3, job],
          [4, job],
        ],
        'computed by the Slurm workers, not on the master',
      );
    } finally {
      await pool.close();
    }
  },
);

test(
  'a worker leaves before its job time limit, mid-map: each task runs once, no strike, its log says why',
  { skip: slurmSkip },
  async () => {
    // --time=1 is a minute; with a 50 s margin the Slurm worker leaves about 10 s after it starts.
    const pool = await startMaster({
      secretFile,
      local: 1,
      maxTaskWorkerKills: 1,
      taskGroup: 2,
      audit: { to: 'none' },
      slurm: { workers: 1, time: 1, lifetimeMargin: 50, logDir: join(dir, 'lifetime-logs') },
    });
    try {
      const job = pool.slurmJob.jobId;
      await until(() => pool.size === 2, { timeoutMs: 60_000, what: 'the Slurm worker to join' });
      const runs = join(dir, 'lifetime-runs');
      writeFileSync(runs, '');
      const list = Array.from({ length: 800 }, (_, i) => i);
      const onSlurm = new Set();
      const map = parallelMap(
        pool,
        (x) =>
          `require('node:fs').appendFileSync(${JSON.stringify(runs)}, '${x}\\n');` +
          `new Promise((r) => setTimeout(() => r([${x} * 2, process.env.SLURM_JOB_ID]), 40))`,
        list,
        (i, [, slurmJob]) => slurmJob && onSlurm.add(i),
      );
      let done = false;
      void map.finally(() => (done = true)).catch(() => {});
      const log = () => readFileSync(pool.slurmJob.logFile(0), 'utf8');
      await until(() => / leaving master=/.test(log()), { timeoutMs: 60_000, what: 'the worker to leave' });
      assert.ok(!done, 'it left while the map was running');
      const results = await map;
      assert.deepEqual(
        results.map(([v]) => v),
        list.map((x) => x * 2),
      );
      assert.ok(onSlurm.size > 0, 'the Slurm worker took part');
      const counts = new Map();
      for (const l of readFileSync(runs, 'utf8').split('\n').filter(Boolean)) counts.set(l, (counts.get(l) ?? 0) + 1);
      assert.equal(counts.size, list.length, 'every task ran');
      assert.deepEqual(
        [...counts].filter(([, n]) => n !== 1),
        [],
        'none ran twice',
      );
      assert.match(log(), /leaving master=\S+ reason="its Slurm job \d+ ends at \S+ \(in \d+ s\)"/);
      await until(() => squeue(job) === '', { timeoutMs: 30_000, what: 'the job to end before its time limit' });
      assert.doesNotMatch(log(), /DUE TO TIME LIMIT|CANCELLED/, 'Slurm did not have to kill it');
      assert.equal(pool.size, 1);
    } finally {
      await pool.close();
    }
  },
);

test(
  'crew launch --slurm --keep: a cancelled array task is replaced, and the pool comes back to N',
  { skip: slurmSkip },
  async () => {
    const pool = await startMaster({ secretFile, audit: { to: 'none' } });
    const { host, port, member } = pool.listenAddress;
    const launch = await startCrew([
      'launch',
      '--slurm',
      '2',
      '--keep',
      '--connect',
      `${host}:${port}`,
      '--member',
      member,
      '--secret-file',
      secretFile,
      '--log-dir',
      join(dir, 'keep-logs'),
    ]);
    try {
      await until(() => /submitted Slurm job (\d+)/.test(launch.stderr), { what: 'the job id on stderr' });
      const job = /submitted Slurm job (\d+)/.exec(launch.stderr)[1];
      await until(() => pool.size === 2, { timeoutMs: 60_000, what: 'both workers to join' });
      const first = pool.workers.map((w) => w.name);
      execFileSync('scancel', [`${job}_1`]);
      await until(() => /ended before the master did: submitted job (\d+)/.test(launch.stderr), {
        timeoutMs: 60_000,
        what: 'a replacement to be submitted',
      });
      const again = /submitted job (\d+) \(1 worker\)/.exec(launch.stderr)[1];
      await until(() => pool.size === 2 && pool.workers.some((w) => w.name.includes(`slurm-${again}-`)), {
        timeoutMs: 60_000,
        what: 'the replacement to join',
      });
      assert.ok(
        pool.workers.some((w) => first.includes(w.name)),
        'the task that was not cancelled stayed',
      );
      await pool.close();
      const exit = await launch.exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stderr, /the master ended task/);
      assert.equal(
        squeue(`${job},${again}`),
        '',
        'nothing is left in squeue, and nothing was replaced after the master ended',
      );
    } finally {
      if (launch.child.exitCode === null) launch.child.kill('SIGTERM');
      await pool.close();
    }
  },
);
