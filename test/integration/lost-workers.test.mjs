// A pool whose workers all died never evaluates on the master: its calls wait the no-worker
// grace for a worker, then reject with CREW_NO_WORKERS. Only null, or a pool made with no
// workers, evaluates on the master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ErrorCodes,
  evalFormAllWorkers,
  evalOn,
  evalRepeatedlyAsyncState,
  parallelMap,
  runTask,
  spawn,
  startMaster,
} from 'crew';
import { localPool, SECRET, startCrew, until } from '../helpers.mjs';

const noWorkers = (err) => err.code === ErrorCodes.NoWorkers && /no worker is left/.test(err.message);

/** Kills every worker of `pool` with SIGKILL and waits until the pool has seen them go. */
async function killAll(pool) {
  for (const w of pool.workers) process.kill(w.pid, 'SIGKILL');
  await until(() => pool.workers.length === 0, { what: 'the pool to see its workers die' });
}

test('after its last worker died, a pool rejects with CREW_NO_WORKERS instead of running on the master', async () => {
  const pool = await localPool(2, { noWorkerGraceMs: 300 });
  try {
    await killAll(pool);
    // Each of these used to evaluate on the master and give its pid.
    await assert.rejects(
      parallelMap(pool, () => 'process.pid', [1, 2]),
      noWorkers,
    );
    await assert.rejects(evalOn(pool, null, 'process.pid'), noWorkers);
    await assert.rejects(runTask(pool, 'process.pid'), noWorkers);
    await assert.rejects(evalFormAllWorkers(pool, 'process.pid', { replayRequired: false }), noWorkers);
    await assert.rejects(
      evalRepeatedlyAsyncState(pool, '(s) => process.pid', 0, (s) => [s, true, false]),
      noWorkers,
    );
    // An agent too: it used to start on the master.
    await assert.rejects(spawn(pool, 'async () => process.pid'), noWorkers);
  } finally {
    await pool.close();
  }
});

test('a pool that lost its workers gives the work to a worker that joins within the grace', async () => {
  const pool = await startMaster({ local: 1, secret: SECRET, audit: { to: 'none' }, noWorkerGraceMs: 30_000 });
  let worker;
  try {
    await killAll(pool);
    const pending = evalOn(pool, null, 'process.pid');
    const all = evalFormAllWorkers(pool, 'process.pid', { replayRequired: false });
    const { host, port } = pool.listenAddress;
    worker = await startCrew(['worker', '--connect', `${host}:${port}`, '--audit-file', 'none'], {
      env: { CREW_SECRET: SECRET },
    });
    const pid = await pending;
    assert.equal(pid, worker.child.pid, 'the new worker ran it, not the master');
    assert.deepEqual(await all, [worker.child.pid]);
  } finally {
    await pool.close();
    worker?.child.kill('SIGTERM');
    await worker?.exited;
  }
});

test('a pool made with no workers, and a null pool, evaluate on the master', async () => {
  const pool = await startMaster({ secret: SECRET, audit: { to: 'none' } });
  try {
    assert.equal(pool.evaluatesOnMaster, true);
    assert.equal(await evalOn(pool, null, 'process.pid'), process.pid);
    assert.deepEqual(await parallelMap(pool, () => 'process.pid', [1]), [process.pid]);
    assert.equal(await evalOn(null, null, 'process.pid'), process.pid);
  } finally {
    await pool.close();
  }
});
