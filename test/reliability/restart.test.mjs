// The master restarts: workers that dial in reconnect with backoff and are replayed before
// they get work. A master that dials workers redials one that drops and comes back.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connectWorkers, disconnectWorkers, evalFormAllWorkers, evalOn, form, parallelMap } from 'crew';
import {
  auditTrail,
  exactlyOnce,
  freePort,
  killHard,
  newSecret,
  record,
  startMasterProcess,
  startWorkerProcess,
  until,
} from './helpers.mjs';

/* global base -- functions sent with form() run on the workers, where a setup form defines it */

const secret = newSecret();
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const SETUP = (mark) => `globalThis.mark = '${mark}'; globalThis.setups = (globalThis.setups ?? 0) + 1`;

test('kill -9 of the master: dial-in workers reconnect to the new one and are replayed before work', async () => {
  const port = await freePort();
  const m1 = await startMasterProcess({ secret, port });
  cleanups.push(() => killHard(m1.child));
  const workers = [];
  for (const name of ['a', 'b']) {
    const w = await startWorkerProcess({ secret, name, mode: ['--connect', `127.0.0.1:${port}`] });
    cleanups.push(() => killHard(w.child));
    workers.push(w);
  }
  await m1.call('waitForWorkers', 2);
  await m1.call('evalAll', SETUP('old'));
  void m1
    .call('map', '(x) => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); return x; }', 400)
    .catch(() => {});
  await m1.events.waitFor(/"progress":50/);
  const killedAt = performance.now();
  await killHard(m1.child);
  for (const w of workers) await w.out.waitFor(/disconnect master=/, 10_000, killedAt);
  const detectionMs = performance.now() - killedAt;

  const m2 = await startMasterProcess({ secret, port });
  cleanups.push(() => killHard(m2.child));
  const startedAt = performance.now();
  await m2.call('waitForWorkers', 1);
  const direct = await m2.call('evalAll', SETUP('new'));
  await m2.call('waitForWorkers', 2);
  const rejoinedMs = performance.now() - startedAt;
  const n = 300;
  const results = await m2.call('map', '(x) => mark + x', n);
  assert.deepEqual(
    results,
    Array.from({ length: n }, (_, i) => `new${i}`),
    "every task saw the new master's setup",
  );
  const joined = m2.events.lines.filter((l) => / connect worker=/.test(l.text));
  assert.equal(joined.length, 2);
  // Each worker ran the setup once: directly, or replayed on joining before its first task.
  assert.equal(direct.length + m2.events.count(/ replay worker=w\d+ forms=1/), 2);

  // After the restart only the new master's setup is replayed on a fresh eval thread.
  const ids = (await m2.call('workers')).map((w) => w.id);
  await assert.rejects(m2.call('evalOn', ids[0], 'process.exit(1)'), /eval thread died/);
  assert.equal(await m2.call('evalOn', ids[0], 'mark'), 'new');
  assert.equal(await m2.call('evalOn', ids[0], 'setups'), 1, "the old master's setup was not replayed");
  record({
    row: 'master-restart',
    lost: 0,
    duplicated: 0,
    detectionMs,
    recoveryMs: rejoinedMs,
    note: 'kill -9 of the master; recovery = new master up to both workers ready (reconnect backoff)',
  });
});

test('a master that dials workers redials one that dies and comes back on its port, and replays it', async () => {
  const audit = auditTrail();
  const stay = await startWorkerProcess({ secret, name: 'stay', mode: ['--port', '0'] });
  cleanups.push(() => killHard(stay.child));
  const port = await freePort();
  let flaky = await startWorkerProcess({ secret, name: 'flaky', mode: ['--port', String(port)] });
  const pool = await connectWorkers([`127.0.0.1:${stay.port}`, `127.0.0.1:${port}`], {
    secret,
    audit: audit.options,
    noWorkerGraceMs: 30_000,
  });
  cleanups.push(() => disconnectWorkers(pool));
  await evalFormAllWorkers(pool, 'globalThis.base = 5');
  const flakyId = pool.workers.find((w) => w.name === 'flaky').id;
  const n = 400;
  const once = exactlyOnce(n);
  let done = 0;
  const call = parallelMap(
    pool,
    form((x) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      return x + base;
    }),
    Array.from({ length: n }, (_, i) => i),
    (i) => {
      once.hit(i);
      done++;
    },
  );
  await until(() => done >= 40);
  const killedAt = performance.now();
  await killHard(flaky.child);
  const gone = await audit.lines.waitFor(new RegExp(`disconnect worker=${flakyId} `), 10_000, killedAt);
  const restartedAt = performance.now();
  flaky = await startWorkerProcess({ secret, name: 'flaky', mode: ['--port', String(port)] });
  cleanups.push(() => killHard(flaky.child));
  const back = await audit.lines.waitFor(new RegExp(`state worker=${flakyId} state=ready`), 30_000, restartedAt);
  assert.ok(
    audit.lines.count(new RegExp(`replay worker=${flakyId} forms=1`), restartedAt) === 1,
    'replayed on rejoining',
  );
  const results = await call;
  assert.deepEqual(
    results,
    Array.from({ length: n }, (_, i) => i + 5),
  );
  assert.equal(once.lost + once.duplicated, 0);
  assert.equal(await evalOn(pool, flakyId, 'base'), 5, 'the fresh process has the setup');
  assert.equal(await evalOn(pool, flakyId, 'process.pid'), flaky.pid);
  record({
    row: 'master-redials',
    lost: once.lost,
    duplicated: once.duplicated,
    detectionMs: gone.at - killedAt,
    recoveryMs: back.at - restartedAt,
    note: 'recovery = worker process restarted to redialed, replayed and ready',
  });
});
