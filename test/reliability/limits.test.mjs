// Bounds: frame size before and after authentication, the pool's queue, and the tasks in
// flight per worker. Going over a bound gives a clear error, never unbounded memory.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { disconnectWorkers, evalOn, form, parallelMap, startMaster } from 'crew';
import { auditTrail, killHard, newSecret, record, startWorkerProcess } from './helpers.mjs';
import { authenticate, frame, open, send } from './wire.mjs';

const secret = newSecret();
const MiB = 1024 * 1024;
let pool;
let audit;
const cleanups = [];
before(async () => {
  const trail = auditTrail();
  audit = trail.lines;
  pool = await startMaster({ local: 2, secret, maxFrameBytes: MiB, maxQueuedTasks: 1000, audit: trail.options });
  cleanups.push(() => disconnectWorkers(pool));
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('before authentication a frame over 16 KiB closes the link (1009) and is audited', async () => {
  const since = performance.now();
  const c = open(`ws://127.0.0.1:${pool.listenAddress.port}/`);
  await c.opened;
  await c.next();
  c.ws.send('x'.repeat(100 * 1024));
  const closed = await c.closed;
  assert.equal(closed.code, 1009);
  await audit.waitFor(/refused peer=.* reason=".*sent more than 16384 bytes before authenticating"/, 10_000, since);
  record({
    row: 'limit-preauth-frame',
    lost: 0,
    duplicated: 0,
    note: '16 KiB before authentication: close 1009, audited',
  });
});

test('a task larger than the frame limit fails before it is sent, naming the sizes', async () => {
  await assert.rejects(
    parallelMap(
      pool,
      form((b) => b.length),
      [new Uint8Array(2 * MiB)],
    ),
    (err) => {
      assert.equal(err.code, 'CREW_LIMIT_EXCEEDED');
      assert.match(err.message, /a task of \d+ bytes \(form and arguments\) is over the frame limit of 1048576 bytes/);
      return true;
    },
  );
  assert.equal(pool.size, 2);
});

test('a result larger than the frame limit is an error naming its size; the worker stays', async () => {
  const since = performance.now();
  await assert.rejects(evalOn(pool, 'w1', 'new Uint8Array(2 * 1024 * 1024)'), (err) => {
    assert.equal(err.code, 'CREW_LIMIT_EXCEEDED');
    assert.match(err.message, /the result of task \d+ is \d+ bytes encoded, over the frame limit of 1048576 bytes/);
    return true;
  });
  assert.equal(audit.count(/disconnect /, since), 0, 'no link dropped');
  assert.equal(await evalOn(pool, 'w1', '1 + 1'), 2);
  record({ row: 'limit-result-frame', lost: 0, duplicated: 0, note: 'CREW_LIMIT_EXCEEDED from the worker; link kept' });
});

test('large tasks and results under the limit travel in several frames, never one too big', async () => {
  const lines = [];
  // CL-MW's grouping makes the batches certain: 4 tasks to a frame, and 4 results to a frame
  // (1.2 MiB of results, over the limit, so the worker must split them).
  const p = await startMaster({
    local: 2,
    secret,
    maxFrameBytes: MiB,
    taskGroup: 4,
    resultGroup: 4,
    audit: { to: (l) => lines.push(l), tasks: true },
  });
  cleanups.push(() => disconnectWorkers(p));
  const n = 80;
  const items = Array.from({ length: n }, (_, i) => new Uint8Array(100 * 1024).fill(i));
  const results = await parallelMap(
    p,
    form((b) => new Uint8Array(3 * b.length).fill(b[0] + 1)),
    items,
  );
  results.forEach((r, i) => {
    assert.equal(r.length, 300 * 1024);
    assert.equal(r[0], i + 1);
  });
  const sent = lines
    .filter((l) => / sent /.test(l))
    .map((l) => ({ tasks: Number(/tasks=(\d+)/.exec(l)[1]), bytes: Number(/bytes=(\d+)/.exec(l)[1]) }));
  const received = lines.filter((l) => / received /.test(l)).map((l) => Number(/results=(\d+)/.exec(l)[1]));
  assert.ok(
    sent.some((f) => f.tasks > 1),
    'tasks were batched',
  );
  assert.ok(Math.max(...sent.map((f) => f.bytes)) <= MiB, 'no task frame over the limit');
  // 300 KiB results: at most 3 fit in a 1 MiB frame, though results came 4 at a time.
  assert.ok(
    sent.some((f) => f.tasks === 4),
    'batches of 4 tasks',
  );
  assert.ok(Math.max(...received) <= 3, 'results were split into frames under the limit');
  assert.equal(lines.filter((l) => / disconnect /.test(l)).length, 0, 'no frame was refused');
  record({
    row: 'limit-split-frames',
    lost: 0,
    duplicated: 0,
    note:
      `${n} x 100 KiB tasks with 300 KiB results under a 1 MiB limit: ${sent.length} ` +
      `task frames (max ${Math.max(...sent.map((f) => f.bytes))} B), ${received.length} ` +
      `result frames`,
  });
});

test('the pool refuses work past maxQueuedTasks with a clear error', async () => {
  await assert.rejects(
    parallelMap(
      pool,
      form((x) => x),
      Array.from({ length: 5000 }, (_, i) => i),
    ),
    (err) => {
      assert.equal(err.code, 'CREW_LIMIT_EXCEEDED');
      assert.match(err.message, /already has 1000 tasks queued/);
      return true;
    },
  );
  record({ row: 'limit-queue', lost: 0, duplicated: 0, note: 'maxQueuedTasks: CREW_LIMIT_EXCEEDED' });
});

test('tasks in flight per worker stay bounded, however long the map', async () => {
  const big = await startMaster({ local: 2, secret, audit: { to: 'none' } });
  cleanups.push(() => disconnectWorkers(big));
  let peak = 0;
  const sampler = setInterval(() => {
    for (const w of big.workers) peak = Math.max(peak, w.inFlight);
  }, 2);
  const n = 200_000;
  const out = await parallelMap(
    big,
    form((x) => x + 1),
    Array.from({ length: n }, (_, i) => i),
  );
  clearInterval(sampler);
  assert.equal(out[n - 1], n);
  assert.ok(peak > 0 && peak <= 1024, `peak in flight on one worker: ${peak}`);
  record({
    row: 'limit-inflight',
    lost: 0,
    duplicated: 0,
    note: `peak ${peak} tasks in flight on one worker (bound 1024) during a ${n}-task map`,
  });
});

test("after authentication, a frame over the worker's limit closes that link with 1009 and is audited", async () => {
  const w = await startWorkerProcess({ secret, mode: ['--port', '0'], extra: ['--max-frame-bytes', String(MiB)] });
  cleanups.push(() => killHard(w.child));
  const c = await authenticate(w.port, secret, 'master');
  send(c, frame({ t: 'tasks', forms: [], tasks: [], pad: new Uint8Array(2 * MiB) }));
  assert.equal((await c.closed).code, 1009);
  await w.out.waitFor(/disconnect .*reason="Max payload size exceeded"/);
  const again = await authenticate(w.port, secret, 'master');
  again.ws.close();
});
