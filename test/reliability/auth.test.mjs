// Authentication and listening: wrong, missing and replayed credentials are refused, a
// stalled peer is dropped, the secret never crosses the wire, and no port opens beyond
// loopback without a secret.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { connectWorkers, disconnectWorkers, evalOn, parallelMap, form, startMaster } from 'crew';
import { auditTrail, cli, killHard, newSecret, record, startWorkerProcess, tcpProxy } from './helpers.mjs';
import { decodeWsStream, LINK_VERSION, open, secretForms } from './wire.mjs';

const secret = newSecret();
const HANDSHAKE_MS = 1000;
let worker;
const cleanups = [];
before(async () => {
  worker = await startWorkerProcess({
    secret,
    name: 'target',
    mode: ['--port', '0'],
    extra: ['--handshake-timeout', String(HANDSHAKE_MS)],
  });
  cleanups.push(() => killHard(worker.child));
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('a master with the wrong secret is refused by a worker, and the refusal is audited', async () => {
  const since = performance.now();
  await assert.rejects(
    connectWorkers([`127.0.0.1:${worker.port}`], { secret: newSecret(), audit: { to: 'none' }, redial: false }),
    (err) => {
      assert.equal(err.code, 'CREW_CONNECT_FAILED');
      assert.match(err.message, /refused the connection: .*failed authentication: wrong or missing secret/);
      return true;
    },
  );
  const line = await worker.out.waitFor(
    /refused peer=.* reason=".*failed authentication: wrong or missing secret"/,
    10_000,
    since,
  );
  record({
    row: 'auth-wrong-secret',
    lost: 0,
    duplicated: 0,
    detectionMs: line.at - since,
    note: 'CREW_AUTH_FAILED, close 4001, audited on both ends',
  });
});

test('a worker with the wrong secret cannot join a master', async () => {
  const audit = auditTrail();
  const pool = await startMaster({ secret, audit: audit.options });
  cleanups.push(() => disconnectWorkers(pool));
  const intruder = await startWorkerProcess({
    secret: newSecret(),
    name: 'intruder',
    mode: ['--connect', `127.0.0.1:${pool.listenAddress.port}`],
  });
  cleanups.push(() => killHard(intruder.child));
  await audit.lines.waitFor(/refused peer=.* reason=".*wrong or missing secret"/);
  await intruder.out.waitFor(/refused master=.* reason=".*CREW_AUTH_FAILED|refused master=.*wrong or missing secret/);
  assert.equal(pool.size, 0, 'the intruder never joined');
});

test('an auth frame without a MAC (no secret) is refused with a clear reason', async () => {
  const c = open(`ws://127.0.0.1:${worker.port}/`);
  await c.opened;
  const hello = JSON.parse((await c.next()).data.toString());
  c.ws.send(JSON.stringify({ t: 'auth', v: LINK_VERSION, role: 'master', nonce: 'ab'.repeat(32) }));
  const refused = JSON.parse((await c.next()).data.toString());
  assert.equal(refused.t, 'refused');
  assert.equal(refused.code, 'CREW_AUTH_FAILED');
  assert.match(refused.message, /wrong or missing secret/);
  assert.equal((await c.closed).code, 4001);
  assert.equal(hello.t, 'hello');
  record({
    row: 'auth-missing-secret',
    lost: 0,
    duplicated: 0,
    note: 'auth frame without a MAC: CREW_AUTH_FAILED, close 4001',
  });
});

test('a recorded handshake replayed to either side is refused', async () => {
  const proxy = await tcpProxy(worker.port);
  cleanups.push(() => proxy.close());
  const pool = await connectWorkers([`127.0.0.1:${proxy.port}`], { secret, audit: { to: 'none' }, redial: false });
  assert.equal(await evalOn(pool, null, '6 * 7'), 42);
  await disconnectWorkers(pool);
  const up = decodeWsStream(Buffer.concat(proxy.streams[0].up))
    .frames.filter((f) => f.opcode === 1)
    .map((f) => f.payload.toString());
  const down = decodeWsStream(Buffer.concat(proxy.streams[0].down))
    .frames.filter((f) => f.opcode === 1)
    .map((f) => f.payload.toString());
  const auth = up.find((t) => JSON.parse(t).t === 'auth');
  const [hello, welcome] = down;
  assert.ok(
    auth && JSON.parse(hello).t === 'hello' && JSON.parse(welcome).t === 'welcome',
    'a full transcript was recorded',
  );

  // To the listener: the recorded answer does not fit the fresh challenge.
  const since = performance.now();
  const c = open(`ws://127.0.0.1:${worker.port}/`);
  await c.opened;
  await c.next();
  c.ws.send(auth);
  const refused = JSON.parse((await c.next()).data.toString());
  assert.equal(refused.code, 'CREW_AUTH_FAILED');
  assert.equal((await c.closed).code, 4001);
  await worker.out.waitFor(/refused .*wrong or missing secret/, 10_000, since);

  // To a dialer: a fake listener replays the worker's hello and welcome to a real master.
  const fake = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => fake.once('listening', r));
  cleanups.push(() => new Promise((r) => fake.close(r)));
  fake.on('connection', (ws) => {
    ws.send(hello);
    ws.once('message', () => ws.send(welcome));
  });
  await assert.rejects(
    connectWorkers([`127.0.0.1:${fake.address().port}`], { secret, audit: { to: 'none' }, redial: false }),
    /could not prove it knows the secret/,
  );
  record({ row: 'auth-replay', lost: 0, duplicated: 0, note: 'replayed auth and replayed hello+welcome both refused' });
});

test('a peer that stalls in the handshake is dropped after the handshake timeout', async () => {
  const since = performance.now();
  const c = open(`ws://127.0.0.1:${worker.port}/`);
  await c.opened;
  assert.equal(JSON.parse((await c.next()).data.toString()).t, 'hello');
  const closed = await c.closed;
  const droppedMs = performance.now() - since;
  assert.equal(closed.code, 4002);
  assert.match(closed.reason, /did not complete the handshake within 1000 ms/);
  await worker.out.waitFor(/refused .*did not complete the handshake within 1000 ms/, 10_000, since);
  record({
    row: 'auth-stall',
    lost: 0,
    duplicated: 0,
    detectionMs: droppedMs,
    note: `WebSocket open, no answer; --handshake-timeout ${HANDSHAKE_MS}`,
  });
});

test('a TCP peer that never finishes its HTTP upgrade (silent or one byte at a time) is dropped', async () => {
  const outcomes = await Promise.all(
    [false, true].map(
      (dribble) =>
        new Promise((resolve) => {
          const start = performance.now();
          const s = net.connect(worker.port, '127.0.0.1');
          let timer;
          if (dribble) {
            s.write('GET / HTTP/1.1\r\nHost: x\r\n');
            timer = setInterval(() => s.writable && s.write('X'), 200);
          }
          s.on('error', () => {});
          s.on('close', () => {
            clearInterval(timer);
            resolve(performance.now() - start);
          });
        }),
    ),
  );
  // Both were closed by the worker (a test timeout would fail otherwise).
  record({
    row: 'auth-stall-tcp',
    lost: 0,
    duplicated: 0,
    detectionMs: Math.max(...outcomes),
    note: 'silent TCP and a slow-loris upgrade, both dropped',
  });
});

test('the secret never crosses the wire, in either direction of dialing', async () => {
  // Master dials a worker through a recording proxy.
  const toWorker = await tcpProxy(worker.port);
  cleanups.push(() => toWorker.close());
  const dialed = await connectWorkers([`127.0.0.1:${toWorker.port}`], { secret, audit: { to: 'none' }, redial: false });
  assert.deepEqual(
    await parallelMap(
      dialed,
      form((x) => x + 1),
      [1, 2, 3],
    ),
    [2, 3, 4],
  );
  await disconnectWorkers(dialed);
  // A worker dials a master through a recording proxy.
  const pool = await startMaster({ secret, audit: { to: 'none' } });
  cleanups.push(() => disconnectWorkers(pool));
  const toMaster = await tcpProxy(pool.listenAddress.port);
  cleanups.push(() => toMaster.close());
  const w = await startWorkerProcess({ secret, name: 'dialer', mode: ['--connect', `127.0.0.1:${toMaster.port}`] });
  cleanups.push(() => killHard(w.child));
  await pool.waitForWorkers(1);
  assert.deepEqual(
    await parallelMap(
      pool,
      form((x) => x * 2),
      [1, 2, 3],
    ),
    [2, 4, 6],
  );

  let bytes = 0;
  let frames = 0;
  let sawAuth = 0;
  for (const proxy of [toWorker, toMaster]) {
    for (const s of proxy.streams) {
      for (const dir of [s.up, s.down]) {
        const raw = Buffer.concat(dir);
        bytes += raw.length;
        const decoded = decodeWsStream(raw);
        frames += decoded.frames.length;
        sawAuth += decoded.frames.filter((f) => f.payload.includes('"t":"auth"')).length;
        for (const hay of [raw, Buffer.from(decoded.header), ...decoded.frames.map((f) => f.payload)]) {
          for (const needle of secretForms(secret))
            assert.equal(hay.indexOf(needle), -1, `found the secret (${needle.length} bytes form) on the wire`);
        }
      }
    }
  }
  assert.ok(frames >= 10, `searched ${frames} frames`);
  assert.equal(sawAuth, 2, 'the masked auth frames were decoded, so the search saw their contents');
  record({
    row: 'secret-on-wire-proxy',
    lost: 0,
    duplicated: 0,
    note: `searched ${bytes} bytes / ${frames} unmasked frames for 5 encodings: not found`,
  });
});

test('refuses to listen beyond loopback without a secret; listens with one', async () => {
  const saved = process.env.CREW_SECRET;
  delete process.env.CREW_SECRET;
  try {
    await assert.rejects(startMaster({ host: '0.0.0.0', audit: { to: 'none' } }), (err) => {
      assert.equal(err.code, 'CREW_INSECURE_LISTEN');
      assert.match(err.message, /refusing to listen on 0\.0\.0\.0 without a secret/);
      return true;
    });
  } finally {
    if (saved !== undefined) process.env.CREW_SECRET = saved;
  }
  const env = { ...process.env, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'crew-home-')) };
  delete env.CREW_SECRET;
  const refused = spawn(process.execPath, [cli, 'worker', '--port', '0', '--host', '0.0.0.0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  refused.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => refused.on('exit', r));
  assert.equal(code, 3);
  assert.match(err, /refusing to listen on 0\.0\.0\.0 without a secret.*CREW_INSECURE_LISTEN/);

  const secretFile = join(env.XDG_CONFIG_HOME, 'team-secret');
  writeFileSync(secretFile, newSecret(), { mode: 0o600 });
  const ok = await startWorkerProcess({
    secret,
    mode: ['--port', '0'],
    extra: ['--host', '0.0.0.0', '--secret-file', secretFile],
  });
  assert.ok(ok.port > 0);
  await killHard(ok.child);
  record({
    row: 'listen-non-loopback',
    lost: 0,
    duplicated: 0,
    note: 'CREW_INSECURE_LISTEN / exit 3 without a secret',
  });
});
