// dpfw: the per-worker store, and evalOn to a named worker or to whichever is idle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, evalOn } from 'crew';
import { sharedPool, until, within } from '../helpers.mjs';
import { makeGate } from './gate.mjs';

const shared = sharedPool(2);

test('each worker has its own store, a Map that persists across evaluations', async () => {
  assert.equal(await evalOn(shared.pool, 'w1', 'store instanceof Map'), true);
  await evalOn(shared.pool, 'w1', `store.set('config', { loaded: Date.now(), rows: [1, 2, 3] }); 'ok'`);
  assert.deepEqual(await evalOn(shared.pool, 'w1', `store.get('config').rows`), [1, 2, 3]);
  assert.equal(await evalOn(shared.pool, 'w2', `store.has('config')`), false, 'w2 has its own store');
  const w1name = shared.pool.workers.find((w) => w.id === 'w1').name;
  assert.equal(await evalOn(shared.pool, w1name, `store.size`), 1, 'workers can be named by name as well as id');
});

test('a generator kept in the store gives 1, 2, 3', async () => {
  await evalOn(shared.pool, 'w2', `store.set('gen', (function* () { let n = 0; for (;;) yield ++n; })()); null`);
  const got = [];
  for (let i = 0; i < 3; i++) got.push(await evalOn(shared.pool, 'w2', `store.get('gen').next().value`));
  assert.deepEqual(got, [1, 2, 3]);
});

test('a busy worker counts as busy, and evalOn(pool, null) goes to the idle one', async () => {
  const gate = makeGate();
  const w1pid = await evalOn(shared.pool, 'w1', 'process.pid');
  const w2pid = await evalOn(shared.pool, 'w2', 'process.pid');
  const slow = evalOn(shared.pool, 'w1', gate.form('done'));
  await until(() => shared.pool.workers.find((w) => w.id === 'w1').inFlight > 0, { what: 'the gated task on w1' });
  assert.equal(shared.pool.workers.find((w) => w.id === 'w1').inFlight, 1, 'w1 is busy');
  // Queued behind the gated task on w1, a call would wait forever: fail instead of hanging.
  for (let i = 0; i < 4; i++) {
    const pid = await within(evalOn(shared.pool, null, 'process.pid'), 'the call (not on the busy worker?)');
    assert.equal(pid, w2pid, 'the idle worker took it');
  }
  gate.open();
  assert.equal(await slow, 'done');
  assert.notEqual(w1pid, w2pid);
});

test('evalOn an unknown worker fails with a clear error', async () => {
  await assert.rejects(
    evalOn(shared.pool, 'nobody', '1'),
    (err) => err.code === ErrorCodes.UnknownWorker && /there is no worker nobody; workers are w1, w2/.test(err.message),
  );
});
