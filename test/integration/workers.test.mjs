// Workers joining, dying and misbehaving, with real processes on loopback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import net from 'node:net';
import {
  addWorkers,
  connectWorkers,
  disconnectWorkers,
  evalFormAllWorkers,
  evalOn,
  form,
  parallelMap,
  ErrorCodes,
} from 'crew';
import { localPool, SECRET, startCrew, until } from '../helpers.mjs';

const listeningWorker = (extra = [], env = {}) =>
  startCrew(['worker', '--port', '0', ...extra], { readyPattern: /listening on [\d.]+:(\d+)/, env });

test(
  'connectWorkers dials listening workers; ' + 'replayed forms reach a worker that joins later, before other work',
  async () => {
    const a = await listeningWorker();
    const b = await listeningWorker();
    const pool = await connectWorkers([`127.0.0.1:${a.match[1]}`], { secret: SECRET, audit: { to: 'none' } });
    try {
      await evalFormAllWorkers(
        pool,
        'var greeting = "hello from replay"; function greet(n) { return greeting + " " + n }',
      );
      assert.equal(pool.size, 1);
      await addWorkers(pool, [`127.0.0.1:${b.match[1]}`]);
      assert.equal(pool.size, 2);
      const results = await evalFormAllWorkers(pool, 'greet(process.pid)', { replayRequired: false });
      assert.equal(results.length, 2);
      for (const r of results) assert.match(r, /^hello from replay \d+$/);
    } finally {
      await disconnectWorkers(pool);
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
  },
);

test('kill -9 of a worker in the middle of a map: every result arrives exactly once', async () => {
  const pool = await localPool(3);
  try {
    const pids = await evalFormAllWorkers(pool, 'process.pid', { replayRequired: false });
    const n = 300;
    const seen = new Map();
    let killed = false;
    const run = parallelMap(
      pool,
      form((x) => new Promise((r) => setTimeout(() => r(x * 3), 5))),
      Array.from({ length: n }, (_, i) => i),
      (i) => {
        seen.set(i, (seen.get(i) ?? 0) + 1);
        if (!killed && seen.size === 40) {
          killed = true;
          process.kill(pids[1], 'SIGKILL');
        }
      },
    );
    const results = await run;
    assert.ok(killed);
    assert.deepEqual(
      results,
      Array.from({ length: n }, (_, i) => i * 3),
    );
    assert.equal(seen.size, n);
    assert.ok(
      [...seen.values()].every((c) => c === 1),
      'no result delivered twice',
    );
    assert.ok(
      pool.auditLines.some((l) => / requeue /.test(l)),
      'the audit trail records the moved tasks',
    );
  } finally {
    await pool.close();
  }
});

test('when no worker is left, a call rejects with a clear error instead of hanging', async () => {
  const pool = await localPool(1, { noWorkerGraceMs: 300 });
  try {
    const [pid] = await evalFormAllWorkers(pool, 'process.pid', { replayRequired: false });
    const pending = evalOn(pool, null, 'new Promise((r) => setTimeout(r, 5000))');
    await until(() => pool.workers.some((w) => w.inFlight > 0), { what: 'the call to reach the worker' });
    process.kill(pid, 'SIGKILL');
    await assert.rejects(pending, (err) => err.code === ErrorCodes.NoWorkers && /no worker is left/.test(err.message));
  } finally {
    await pool.close();
  }
});

test('disconnectWorkers rejects calls in flight with a clear error', async () => {
  const pool = await localPool(1);
  const pending = assert.rejects(
    evalOn(pool, null, 'new Promise((r) => setTimeout(r, 5000))'),
    (err) => err.code === ErrorCodes.PoolClosed,
  );
  await until(() => pool.workers.some((w) => w.inFlight > 0), { what: 'the call to reach the worker' });
  await disconnectWorkers(pool);
  await pending;
  await assert.rejects(evalOn(pool, null, '1'), (err) => err.code === ErrorCodes.PoolClosed);
});

test(
  'a wrong secret is refused with a clear error and recorded, ' + 'and the worker keeps serving its real master',
  async () => {
    const w = await listeningWorker();
    const address = `127.0.0.1:${w.match[1]}`;
    const pool = await connectWorkers([address], { secret: SECRET, audit: { to: 'none' } });
    try {
      await assert.rejects(
        connectWorkers([address], { secret: 'not-the-secret-but-long-enough', audit: { to: 'none' } }),
        (err) => {
          assert.equal(err.code, ErrorCodes.ConnectFailed);
          assert.match(err.message, /wrong or missing secret/);
          return true;
        },
      );
      await until(() => /refused /.test(w.stderr), { what: 'the worker to record the refusal' });
      assert.match(w.stderr, /refused .*wrong or missing secret/);
      assert.equal(await evalOn(pool, null, '6 * 7'), 42, 'the real master still works');
    } finally {
      await disconnectWorkers(pool);
      w.child.kill('SIGKILL');
    }
  },
);

test('garbage bytes and a non-Crew WebSocket client are refused and the worker keeps serving', async () => {
  const w = await listeningWorker();
  const port = Number(w.match[1]);
  const pool = await connectWorkers([`127.0.0.1:${port}`], { secret: SECRET, audit: { to: 'none' } });
  try {
    await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () =>
        s.end(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 255, 13, 10, 13, 10])),
      );
      let reply = '';
      s.setEncoding('utf8').on('data', (d) => (reply += d));
      s.on('close', () => resolve(reply)).on('error', resolve);
    }).then((reply) => assert.match(String(reply), /400 Bad Request/));
    const closed = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      ws.on('open', () => ws.send('{"hello": "I am not Crew"}'));
      ws.on('message', () => {});
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      ws.on('error', () => {});
    });
    assert.equal(closed.code, 4003);
    assert.match(closed.reason, /does not speak Crew's protocol/);
    await until(() => /does not speak/.test(w.stderr), { what: 'the worker to record the refusal' });
    assert.match(w.stderr, /refused .*does not speak Crew's protocol/);
    assert.equal(await evalOn(pool, null, '"still here"'), 'still here');
  } finally {
    await disconnectWorkers(pool);
    w.child.kill('SIGKILL');
  }
});
