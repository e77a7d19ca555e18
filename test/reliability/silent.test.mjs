// Silent death: a worker that stops answering (SIGSTOP) or whose link is cut is found by
// heartbeats within the configured time, its work moves, and it rejoins when it comes back.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connectWorkers, disconnectWorkers, evalFormAllWorkers, evalOn, form, parallelMap, startMaster } from 'crew';
import {
  auditTrail,
  exactlyOnce,
  killHard,
  newSecret,
  record,
  startWorkerProcess,
  tcpProxy,
  until,
} from './helpers.mjs';

const secret = newSecret();
const HEARTBEAT_MS = 1500;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const slow = form((x) => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
  return x * 3;
});

async function mapWithFault(p, n, fault) {
  const once = exactlyOnce(n);
  let done = 0;
  const call = parallelMap(
    p,
    slow,
    Array.from({ length: n }, (_, i) => i),
    (i) => {
      once.hit(i);
      done++;
    },
  );
  await until(() => done >= 10, { timeoutMs: 20_000, what: 'the map to get going' });
  const info = await fault();
  const results = await call;
  assert.deepEqual(
    results,
    Array.from({ length: n }, (_, i) => i * 3),
  );
  assert.equal(once.lost, 0);
  assert.equal(once.duplicated, 0);
  return { once, info };
}

test('SIGSTOP: heartbeats find the frozen worker, its work moves, and it rejoins after SIGCONT', async () => {
  const audit = auditTrail();
  const p = await startMaster({ local: 3, secret, heartbeatTimeoutMs: HEARTBEAT_MS, audit: audit.options });
  cleanups.push(() => disconnectWorkers(p));
  let victim;
  let stoppedAt;
  const { once } = await mapWithFault(p, 150, async () => {
    await until(() => p.workers.some((w) => w.inFlight > 0));
    victim = p.workers.find((w) => w.inFlight > 0);
    stoppedAt = performance.now();
    process.kill(victim.pid, 'SIGSTOP');
  });
  const gone = await audit.lines.waitFor(
    new RegExp(`disconnect worker=${victim.id} reason="no heartbeat for ${HEARTBEAT_MS} ms"`),
    20_000,
    stoppedAt,
  );
  const detectionMs = gone.at - stoppedAt;
  // Loose on purpose: the point is the configured 1.5 s, not the default 10 s.
  assert.ok(detectionMs < 8000, `detected after ${detectionMs} ms`);
  const contAt = performance.now();
  process.kill(victim.pid, 'SIGCONT');
  const back = await audit.lines.waitFor(new RegExp(`state worker=${victim.id} state=ready`), 30_000, contAt);
  assert.equal(p.size, 3);
  assert.deepEqual(await evalOn(p, victim.id, 'process.pid'), victim.pid);
  record({
    row: 'sigstop',
    lost: once.lost,
    duplicated: once.duplicated,
    detectionMs,
    recoveryMs: back.at - contAt,
    note: `heartbeat timeout ${HEARTBEAT_MS} ms; recovery = SIGCONT to ready again`,
  });
});

test(
  'a cut link (proxy drops everything both ways) is found by heartbeats ' +
    'on both ends; the worker rejoins and is replayed',
  async () => {
    const audit = auditTrail();
    const p = await startMaster({ local: 2, secret, heartbeatTimeoutMs: HEARTBEAT_MS, audit: audit.options });
    cleanups.push(() => disconnectWorkers(p));
    const proxy = await tcpProxy(p.listenAddress.port);
    cleanups.push(() => proxy.close());
    const w = await startWorkerProcess({
      secret,
      name: 'behind-proxy',
      mode: ['--connect', `127.0.0.1:${proxy.port}`],
      extra: ['--heartbeat-timeout', String(HEARTBEAT_MS), '--handshake-timeout', '1000'],
    });
    cleanups.push(() => killHard(w.child));
    await p.waitForWorkers(3);
    const id = p.workers.find((x) => x.name === 'behind-proxy').id;
    await evalFormAllWorkers(p, 'globalThis.offset = 1000');
    let cutAt;
    const { once } = await mapWithFault(p, 150, async () => {
      await until(() => p.workers.find((x) => x.id === id)?.inFlight > 0);
      cutAt = performance.now();
      proxy.cut();
    });
    const masterSaw = await audit.lines.waitFor(
      new RegExp(`disconnect worker=${id} reason="no heartbeat`),
      20_000,
      cutAt,
    );
    const workerSaw = await w.out.waitFor(/disconnect .*reason="no heartbeat/, 20_000);
    const restoredAt = performance.now();
    proxy.restore();
    const back = await audit.lines.waitFor(new RegExp(`state worker=${id} state=ready`), 30_000, restoredAt);
    assert.ok(
      audit.lines.count(new RegExp(`replay worker=${id} forms=1`), restoredAt) >= 1,
      'replayed before taking work',
    );
    assert.equal(await evalOn(p, id, 'offset + 1'), 1001);
    record({
      row: 'cut-link-proxy',
      lost: once.lost,
      duplicated: once.duplicated,
      detectionMs: masterSaw.at - cutAt,
      recoveryMs: back.at - restoredAt,
      note: `worker side noticed too (${Math.round(workerSaw.at - cutAt)} ms after the cut)`,
    });
  },
);

test('a master that was itself stalled does not drop healthy workers for its own silence', async () => {
  const audit = auditTrail();
  const w = await startWorkerProcess({
    secret,
    name: 'patient',
    mode: ['--port', '0'],
    extra: ['--heartbeat-timeout', '30000'],
  });
  cleanups.push(() => killHard(w.child));
  const p = await connectWorkers([`127.0.0.1:${w.port}`], { secret, heartbeatTimeoutMs: 1000, audit: audit.options });
  cleanups.push(() => disconnectWorkers(p));
  // Fixed times are the scenario here: the link runs through a few heartbeats first, so
  // pings are in flight when the master stalls.
  await new Promise((r) => setTimeout(r, 500));
  const since = performance.now();
  // A long synchronous job on the master: its timers then run before it reads the pongs.
  const end = Date.now() + 2500;
  while (Date.now() < end);
  // What is tested is that nothing happens: 1.5 heartbeat timeouts pass without a disconnect.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(audit.lines.count(/ disconnect /, since), 0, 'no worker was dropped');
  assert.equal(await evalOn(p, null, '1 + 1'), 2);
  record({
    row: 'stall-self',
    lost: 0,
    duplicated: 0,
    note: 'master blocked 2.5 s with a 1 s heartbeat timeout: no worker dropped',
  });
});
