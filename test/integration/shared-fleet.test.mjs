// One fleet, several masters: listening workers serve each master in a session of its own
// (eval thread, definitions, store), up to --max-sessions; no master displaces another, and a
// master that vanishes frees its slot once the heartbeat gives up on it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { cdpAddress, connectWorkers, disconnectWorkers, ErrorCodes, evalFormAllWorkers, evalOn } from 'crew';
import { killHard, newSecret, startWorkerProcess, tcpProxy, until } from '../reliability/helpers.mjs';
import { startFleetMaster } from './fixtures/fleet.mjs';
import { scaled } from '../time-scale.mjs';

const secret = newSecret();
const HEARTBEAT_MS = 1500;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Listening workers, each with these extra options; returns them and their addresses. */
async function fleet(n, extra = []) {
  const workers = [];
  for (let k = 1; k <= n; k++) {
    const w = await startWorkerProcess({
      secret,
      name: `shared${k}`,
      mode: ['--port', '0'],
      extra: ['--heartbeat-timeout', String(HEARTBEAT_MS), ...extra],
    });
    cleanups.push(() => killHard(w.child));
    workers.push(w);
  }
  return { workers, addresses: workers.map((w) => `127.0.0.1:${w.port}`) };
}

async function master(addresses) {
  const m = await startFleetMaster({ secret, workers: addresses, heartbeatMs: HEARTBEAT_MS });
  cleanups.push(() => m.kill());
  return m;
}

// Each master adds its own `offset`: a result from the other master's context would be wrong.
const mapForm = '(x) => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); return x * 2 + offset; }';
const expected = (n, offset) => Array.from({ length: n }, (_, i) => i * 2 + offset);

test('two masters on the same two workers map at once: results right, no worker lost, definitions apart', async () => {
  const { workers, addresses } = await fleet(2);
  const a = await master(addresses);
  const b = await master(addresses);
  assert.deepEqual(
    await a.call('evalAll', 'globalThis.secretOfA = 1; const onlyA = 7; globalThis.offset = 1000'),
    [1000, 1000],
  );
  await b.call('evalAll', `globalThis.offset = 2000; store.set('owner', 'b'); 'set'`);
  assert.deepEqual(
    await b.call('evalAll', 'typeof secretOfA'),
    ['undefined', 'undefined'],
    "B does not see A's global",
  );
  assert.deepEqual(await b.call('evalAll', 'typeof onlyA'), ['undefined', 'undefined'], "nor A's const");
  assert.deepEqual(await a.call('evalAll', 'onlyA + secretOfA'), [8, 8], 'A still has its own');
  assert.deepEqual(await a.call('evalAll', `store.has('owner')`), [false, false], 'each master has its own store');
  const n = 300;
  const [ra, rb] = await Promise.all([a.call('map', mapForm, n), b.call('map', mapForm, n)]);
  assert.deepEqual(ra, expected(n, 1000));
  assert.deepEqual(rb, expected(n, 2000));
  for (const m of [a, b])
    assert.deepEqual(await m.call('size'), { size: 2, minSize: 2 }, 'the pool never lost a worker');
  for (const m of [a, b]) assert.equal(m.events.count(/ disconnect /), 0, 'no master saw a worker leave');
  for (const w of workers) assert.equal(w.out.count(/sessions=2$/), 1, 'each worker opened a second session');
});

test("one master's runaway loop, and its interrupt, leave the other master's work alone", async () => {
  const { workers, addresses } = await fleet(1);
  const a = await master(addresses);
  const b = await master(addresses);
  await b.call('evalAll', 'globalThis.offset = 2000');
  const loop = a.call('evalOn', null, 'for (;;);');
  const stopped = assert.rejects(loop, (err) => err.code === ErrorCodes.Interrupted);
  await until(async () => (await a.call('size')).size === 1 && workers[0].out.count(/sessions=2$/) === 1);
  assert.deepEqual(await b.call('map', mapForm, 40), expected(40, 2000), 'B maps while A loops');
  assert.deepEqual(await a.call('interrupt'), ['w1']);
  await stopped;
  assert.deepEqual(await b.call('evalAll', 'offset'), [2000], "A's interrupt did not touch B's thread");
  assert.equal(await a.call('evalOn', null, '1 + 1'), 2, "A's fresh thread works");
});

test(
  "one master's debugger pause, with DevTools attached, leaves the other master's work alone",
  { timeout: scaled(60_000) },
  async () => {
    const { addresses } = await fleet(1);
    const a = await master(addresses);
    await a.call('evalAll', 'globalThis.offset = 1000');
    // The debugging master runs here: its debugger and DevTools are driven from the test.
    const pool = await connectWorkers(addresses, { secret, audit: { to: 'none' } });
    cleanups.push(() => disconnectWorkers(pool));
    pool.setDebugOnError(true);
    const paused = new Promise((resolve) => pool.debug.once('paused', resolve));
    const call = evalOn(pool, null, 'throw new Error("held")').catch((err) => err);
    const s = await paused;
    assert.deepEqual(await a.call('map', mapForm, 40), expected(40, 1000), 'A maps while B is suspended');
    // DevTools reaches B's thread, the second of the worker's eval threads, and finds it paused.
    const devtools = new WebSocket(await cdpAddress(pool, pool.workers[0].id));
    cleanups.push(() => devtools.terminate());
    await new Promise((resolve, reject) => devtools.on('open', resolve).on('error', reject));
    let devtoolsPaused = false;
    devtools.on('message', (d) => (devtoolsPaused ||= JSON.parse(String(d)).method === 'Debugger.paused'));
    // What DevTools sends as it attaches: enable, then say it is set up.
    devtools.send(JSON.stringify({ id: 1, method: 'Debugger.enable' }));
    devtools.send(JSON.stringify({ id: 2, method: 'Runtime.runIfWaitingForDebugger' }));
    await until(() => devtoolsPaused, { what: "DevTools to see B's paused thread" });
    devtools.terminate();
    await pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
    assert.ok((await call) instanceof Error, 'the aborted call rejects');
    assert.deepEqual(await a.call('evalAll', 'offset'), [1000]);
  },
);

test('kill -9 of one master mid-map: the other map completes; the dead session is freed for a new one', async () => {
  const { workers, addresses } = await fleet(2, ['--max-sessions', '2']);
  const a = await master(addresses);
  const b = await master(addresses);
  await a.call('evalAll', 'globalThis.offset = 1000');
  await b.call('evalAll', 'globalThis.offset = 2000');
  const n = 500;
  const mapA = a.call('map', mapForm, n);
  mapA.catch(() => undefined);
  const mapB = b.call('map', mapForm, n);
  await Promise.all([a.events.waitFor(/"progress":50\b/), b.events.waitFor(/"progress":50\b/)]);
  await a.kill();
  assert.deepEqual(await mapB, expected(n, 2000), "B's map is untouched");
  assert.deepEqual(await b.call('size'), { size: 2, minSize: 2 });
  // A's sessions wait one heartbeat timeout for A to redial, then end and free their threads.
  for (const w of workers)
    await w.out.waitFor(
      new RegExp(`session session=\\d+ ended="its master did not come back within ${HEARTBEAT_MS} ms"`),
    );
  const c = await master(addresses);
  assert.deepEqual(await c.call('evalAll', 'typeof offset'), ['undefined', 'undefined'], 'C starts in a fresh session');
  assert.deepEqual(await c.call('size'), { size: 2, minSize: 2 });
  assert.deepEqual(await b.call('evalAll', 'offset'), [2000, 2000], 'B kept its session throughout');
});

test('a silent master is dropped by the heartbeat; its slot goes to a new one, which it cannot displace', async () => {
  const { workers, addresses } = await fleet(1, ['--max-sessions', '1']);
  const a = await master(addresses);
  process.kill(a.child.pid, 'SIGSTOP');
  await workers[0].out.waitFor(new RegExp(`disconnect .*reason="no heartbeat for ${HEARTBEAT_MS} ms"`));
  await workers[0].out.waitFor(/session session=1 ended="its master did not come back/);
  const c = await master(addresses);
  process.kill(a.child.pid, 'SIGCONT');
  // A finds its link gone and redials: the worker, serving C at its limit, turns it away.
  await workers[0].out.waitFor(/refused .*code=CREW_WORKER_BUSY/);
  assert.equal(await c.call('evalOn', null, '6 * 7'), 42);
  assert.deepEqual(await c.call('size'), { size: 1, minSize: 1 }, 'C was never displaced');
});

test('the fifth master is refused with the limit named, and the four keep working', async () => {
  const { workers, addresses } = await fleet(2);
  const four = [];
  for (let k = 0; k < 4; k++) four.push(await master(addresses));
  await assert.rejects(connectWorkers(addresses, { secret, audit: { to: 'none' } }), (err) => {
    assert.equal(err.code, ErrorCodes.WorkerBusy);
    assert.match(err.message, /worker shared1 is serving 4 masters, its --max-sessions limit/);
    assert.match(err.message, /worker shared2 is serving 4 masters/);
    return true;
  });
  const results = await Promise.all(four.map((m, k) => m.call('evalAll', `globalThis.offset = ${k}; offset + 1`)));
  assert.deepEqual(results, [
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
  ]);
  for (const m of four) assert.deepEqual(await m.call('size'), { size: 2, minSize: 2 });
  for (const w of workers) assert.equal(w.out.count(/refused .*code=CREW_WORKER_BUSY/), 1, 'the refusal is audited');
});

test('with --max-sessions 1 a second master is refused; once the first ends its job, the next is served', async () => {
  const { workers, addresses } = await fleet(1, ['--max-sessions', '1']);
  const a = await master(addresses);
  await assert.rejects(connectWorkers(addresses, { secret, audit: { to: 'none' } }), (err) => {
    assert.equal(err.code, ErrorCodes.WorkerBusy, err.message);
    assert.match(err.message, /worker shared1 is serving 1 master, its --max-sessions limit/);
    return true;
  });
  assert.deepEqual(
    await a.call('map', '(x) => x + 1', 20),
    Array.from({ length: 20 }, (_, i) => i + 1),
    'A works on',
  );
  await a.call('close');
  await workers[0].out.waitFor(/session session=1 ended="the master ended its job"/);
  const next = await connectWorkers(addresses, { secret, audit: { to: 'none' } });
  cleanups.push(() => disconnectWorkers(next));
  assert.equal(await evalOn(next, null, '1 + 1'), 2);
  assert.equal(workers[0].child.exitCode, null, 'a listening worker outlives the jobs of its masters');
});

test('a master whose link drops and redials gets its own session back, definitions and all', async () => {
  const { workers } = await fleet(1);
  const proxy = await tcpProxy(workers[0].port);
  cleanups.push(() => proxy.close());
  const pool = await connectWorkers([`127.0.0.1:${proxy.port}`], { secret, audit: { to: 'none' } });
  cleanups.push(() => disconnectWorkers(pool));
  await evalFormAllWorkers(pool, 'globalThis.kept = 5', { replayRequired: false });
  proxy.restore(); // drops the connection at both ends
  await workers[0].out.waitFor(/connect .*session=1 resumed=true/);
  await until(() => pool.workers[0]?.state === 'ready', { what: 'the worker to be ready again' });
  assert.equal(await evalOn(pool, null, 'kept'), 5, 'the definition that was not replayed is still there');
});
