// Workers that leave on purpose (SIGTERM makes `crew worker` close its link with a normal
// close code) are not blamed for the task they held: only workers that die or are lost
// count toward marking a task bad.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { disconnectWorkers, form, parallelMap, startMaster } from 'crew';
import { auditTrail, newSecret, until } from './helpers.mjs';

const secret = newSecret();
const pools = [];
after(async () => {
  for (const p of pools) await disconnectWorkers(p);
});

test('a task on 3 workers that closed cleanly in a row is requeued each time, not marked bad', async () => {
  const audit = auditTrail();
  const p = await startMaster({ local: 4, secret, audit: audit.options });
  pools.push(p);
  const call = parallelMap(
    p,
    form(() => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
      return process.pid;
    }),
    [0],
  );
  let outcome;
  call.then(
    (v) => (outcome = { ok: true, v }),
    (err) => (outcome = { ok: false, err }),
  );
  const stopped = [];
  for (let round = 0; round < 3; round++) {
    const holder = await until(() => p.workers.find((w) => w.inFlight > 0), {
      timeoutMs: 20_000,
      what: `the task in flight (round ${round + 1})`,
    });
    const since = performance.now();
    process.kill(holder.pid, 'SIGTERM');
    const gone = await audit.lines.waitFor(new RegExp(`disconnect worker=${holder.id} `), 20_000, since);
    assert.match(gone.text, /worker closing/, 'the worker closed its link itself');
    stopped.push(holder.pid);
    // With the rule broken, the third clean close already failed the call.
    await until(() => outcome || p.workers.some((w) => w.inFlight > 0), {
      timeoutMs: 20_000,
      what: 'the task to move or fail',
    });
    if (outcome) break;
  }
  await call.catch(() => {});
  assert.ok(outcome.ok, `the call failed: ${outcome.err?.code} ${outcome.err?.message}`);
  assert.equal(stopped.length, 3);
  assert.equal(p.size, 1, 'one worker is left');
  assert.deepEqual(outcome.v, [p.workers[0].pid], 'the task ran on the worker that stayed');
  assert.ok(!stopped.includes(outcome.v[0]));
  assert.equal(audit.lines.count(/task-bad /), 0);
  assert.equal(audit.lines.count(/requeue from=/), 3, 'requeued after each clean close');
});
