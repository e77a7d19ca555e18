// kill -9 of a real worker process in the middle of each API call. Work moves to the other
// workers; every result arrives exactly once and in order.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  disconnectWorkers,
  evalFormAllWorkers,
  evalFormRepeatedly,
  evalRepeatedlyAsyncState,
  form,
  parallelMap,
  parallelReduce,
  startMaster,
} from 'crew';
import { auditTrail, exactlyOnce, newSecret, record, until } from './helpers.mjs';

const secret = newSecret();
const pools = [];
after(async () => {
  for (const p of pools) await disconnectWorkers(p);
});

async function pool(local = 3, extra = {}) {
  const audit = auditTrail();
  const p = await startMaster({ local, secret, audit: audit.options, ...extra });
  pools.push(p);
  return { pool: p, audit: audit.lines };
}

/** A task that takes `ms` of wall time without burning a core. */
const slowSquare = form((x) => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
  return x * x;
});

/**
 * Kills the worker with the most tasks in flight, once `ready()` holds. Returns what the
 * table needs: detection (kill to the master dropping the link) and recovery (kill to the
 * last task that was on the dead worker settling elsewhere), measured on the tasks it held.
 */
async function killBusiest(p, audit, ready) {
  await until(() => ready() && p.workers.some((w) => w.inFlight > 0), { timeoutMs: 20_000, what: 'work in flight' });
  const victim = p.workers.reduce((a, b) => (b.inFlight > a.inFlight ? b : a));
  const held = [...p.link(victim.id).inflight.values()];
  const settled = new Map();
  for (const t of held) {
    const settle = t.settle;
    t.settle = (o) => {
      settled.set(t, (settled.get(t) ?? []).concat({ at: performance.now(), ok: o.ok, worker: o.worker?.id }));
      settle(o);
    };
  }
  const killedAt = performance.now();
  process.kill(victim.pid, 'SIGKILL');
  const gone = await audit.waitFor(new RegExp(`disconnect worker=${victim.id} `), 20_000, killedAt);
  return {
    victim,
    held,
    detectionMs: gone.at - killedAt,
    /** Resolves once every held task has settled; checks each settled once, elsewhere. */
    async recovered() {
      await until(() => held.every((t) => settled.has(t)), {
        timeoutMs: 30_000,
        what: 'tasks of the dead worker to settle',
      });
      for (const t of held) {
        const s = settled.get(t);
        assert.equal(s.length, 1, `task ${t.id} settled ${s.length} times`);
        // A result the victim sent before it died may still arrive: it counts, once.
        if (s[0].ok && s[0].worker === victim.id)
          assert.ok(s[0].at <= gone.at, `task ${t.id} settled by the dead ${victim.id} after its link ended`);
      }
      return Math.max(...held.map((t) => settled.get(t)[0].at)) - killedAt;
    },
  };
}

test('parallelMap: kill -9 of a worker mid-map loses and duplicates nothing', async () => {
  const { pool: p, audit } = await pool();
  const n = 90;
  const once = exactlyOnce(n);
  let done = 0;
  const call = parallelMap(
    p,
    slowSquare,
    Array.from({ length: n }, (_, i) => i),
    (i) => {
      once.hit(i);
      done++;
    },
  );
  const k = await killBusiest(p, audit, () => done >= 10);
  const results = await call;
  const recoveryMs = await k.recovered();
  assert.deepEqual(
    results,
    Array.from({ length: n }, (_, i) => i * i),
  );
  assert.equal(once.lost, 0);
  assert.equal(once.duplicated, 0);
  assert.equal(p.size, 2);
  assert.ok(audit.count(new RegExp(`requeue from=${k.victim.id} `)) >= 1, "the dead worker's tasks were requeued");
  record({
    row: 'kill-parallelMap',
    lost: once.lost,
    duplicated: once.duplicated,
    detectionMs: k.detectionMs,
    recoveryMs,
    tasks: n,
    moved: k.held.length,
  });
});

test('parallelReduce: kill -9 mid-reduce still equals the sequential reduce', async () => {
  const { pool: p, audit } = await pool();
  const n = 90;
  const items = Array.from({ length: n }, (_, i) => i);
  let calls = 0;
  const call = parallelReduce(p, slowSquare, items, '', (acc, r) => {
    calls++;
    return `${acc}${r},`;
  });
  const k = await killBusiest(p, audit, () => calls >= 10);
  const acc = await call;
  const recoveryMs = await k.recovered();
  assert.equal(acc, items.map((i) => `${i * i},`).join(''));
  assert.equal(calls, n);
  record({
    row: 'kill-parallelReduce',
    lost: 0,
    duplicated: calls - n,
    detectionMs: k.detectionMs,
    recoveryMs,
    tasks: n,
    moved: k.held.length,
  });
});

const counterFactory = form(() => {
  let i = 0;
  return () => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    return `${process.pid}:${i++}`;
  };
});

test('evalFormRepeatedly: kill -9 mid-call still gives exactly resultCount distinct results', async () => {
  const { pool: p, audit } = await pool();
  const count = 90;
  const call = evalFormRepeatedly(p, count, counterFactory);
  const k = await killBusiest(p, audit, () => p.workers.reduce((a, w) => a + w.tasksDone, 0) >= 10);
  const results = await call;
  const recoveryMs = await k.recovered();
  assert.equal(results.length, count);
  assert.equal(new Set(results).size, count, 'no result was delivered twice');
  record({
    row: 'kill-evalFormRepeatedly',
    lost: 0,
    duplicated: count - new Set(results).size,
    detectionMs: k.detectionMs,
    recoveryMs,
    tasks: count,
    moved: k.held.length,
  });
});

test('evalRepeatedlyAsyncState: kill -9 mid-call reaches the same final state', async () => {
  const { pool: p, audit } = await pool();
  const target = 60;
  const seen = [];
  const call = evalRepeatedlyAsyncState(
    p,
    form(() => (state) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
      return state;
    }),
    0,
    (state, results) => {
      const taken = results.slice(0, target - state);
      seen.push(...taken);
      return [state + taken.length, state + taken.length >= target, true];
    },
  );
  const k = await killBusiest(p, audit, () => seen.length >= 10);
  const final = await call;
  const recoveryMs = await k.recovered();
  assert.equal(final, target);
  assert.equal(seen.length, target, 'updateState saw each result once');
  // Each result is a state that was distributed before it; none comes from the future.
  seen.forEach((r, i) => assert.ok(r <= i, `result ${i} computed from state ${r}`));
  record({
    row: 'kill-evalRepeatedlyAsyncState',
    lost: 0,
    duplicated: 0,
    detectionMs: k.detectionMs,
    recoveryMs,
    tasks: target,
    moved: k.held.length,
  });
});

test('evalFormAllWorkers: a worker killed mid-call is left out; the others answer once each', async () => {
  const { pool: p, audit } = await pool();
  const done = [];
  const call = evalFormAllWorkers(
    p,
    form(() => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 800);
      return process.pid;
    }),
    { resultDone: (w, r) => done.push([w, r]) },
  );
  const k = await killBusiest(p, audit, () => p.workers.every((w) => w.inFlight > 0));
  const results = await call;
  assert.equal(results.length, 2, 'two of three workers answered');
  assert.ok(!results.includes(k.victim.pid), 'no result from the dead worker');
  assert.deepEqual(new Set(results), new Set(p.workers.map((w) => w.pid)));
  assert.equal(done.length, 2);
  assert.equal(new Set(done.map(([w]) => w)).size, 2, 'resultDone once per surviving worker');
  record({
    row: 'kill-evalFormAllWorkers',
    lost: 0,
    duplicated: 0,
    detectionMs: k.detectionMs,
    recoveryMs: undefined,
    tasks: 3,
    moved: 0,
    note: 'the dead worker is left out of the results',
  });
});

test('a task that kills 3 workers in a row is marked bad; the pool survives', async () => {
  const { pool: p, audit } = await pool(4);
  const start = performance.now();
  await assert.rejects(
    parallelMap(
      p,
      form((x) => {
        if (x === 5) process.kill(process.pid, 'SIGKILL');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        return x;
      }),
      Array.from({ length: 20 }, (_, i) => i),
    ),
    (err) => {
      assert.equal(err.code, 'CREW_TASK_KILLED_WORKERS');
      assert.match(err.message, /was on 3 workers that died in a row; it is marked bad/);
      return true;
    },
  );
  const failedAfter = performance.now() - start;
  assert.equal(p.size, 1, 'one worker is left');
  assert.equal(audit.count(/task-bad /), 1);
  assert.deepEqual(
    await parallelMap(
      p,
      form((x) => x + 1),
      [1, 2, 3],
    ),
    [2, 3, 4],
    'the survivor still works',
  );
  record({
    row: 'poison-task',
    lost: 0,
    duplicated: 0,
    detectionMs: undefined,
    recoveryMs: failedAfter,
    note: 'fails with CREW_TASK_KILLED_WORKERS after 3 deaths',
  });
});
