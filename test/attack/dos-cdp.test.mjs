// Denial of service through the master's CDP endpoint (server/debug/cdp-proxy.ts). Once one
// debugger address has been handed out, its port stays open. It used to upgrade every
// connection and check the token afterwards, with ws's default limit of 100 MiB a message:
// eight connections with a bad token, 95 MiB each, took the master from 56 MB to 862 MB. Now
// the token is checked before the upgrade (a 401, no WebSocket) and a debugger's message is
// limited to a few MiB (1009 beyond it, before it is buffered).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { killHard, Lines, newSecret, root } from '../reliability/helpers.mjs';

const MiB = 1024 * 1024;
/** What the attacker sent on each connection. */
const FRAME_BYTES = 95 * MiB;
const CONNECTIONS = 8;

/** A master with one local worker, in a process of its own so that its memory can be read. */
const masterScript = `
import { cdpAddress, startMaster } from 'crew';
import { createInterface } from 'node:readline';
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const pool = await startMaster({ local: 1, audit: { to: (line) => out({ audit: line }) } });
const ops = {
  address: () => cdpAddress(pool, pool.workers[0].id),
  // The peak resident set since the process started, in bytes: a burst cannot hide between samples.
  maxRss: () => process.resourceUsage().maxRSS * 1024,
  close: () => pool.close(),
};
out({ ready: true });
createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, op } = JSON.parse(line);
  Promise.resolve()
    .then(() => ops[op]())
    .then((value) => out({ id, ok: true, value }), (err) => out({ id, ok: false, error: err.message }));
});
`;

let master;
before(async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', masterScript], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CREW_SECRET: newSecret() },
  });
  const audit = new Lines();
  const pending = new Map();
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (msg.audit) audit.push(msg.audit);
      else if (msg.ready) audit.push('ready');
      else if (msg.ok) pending.get(msg.id)?.resolve(msg.value);
      else pending.get(msg.id)?.reject(new Error(msg.error));
    }
  });
  let nextId = 1;
  const call = (op) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.stdin.write(JSON.stringify({ id, op }) + '\n');
    });
  await audit.waitFor(/^ready$/, 30_000);
  master = { child, call, audit };
});
after(async () => {
  if (!master) return;
  await master.call('close').catch(() => {});
  await killHard(master.child);
});

/** The address with its token replaced by one the master never handed out. */
const forged = (url) => url.replace(/[0-9a-f]{48}$/, randomBytes(24).toString('hex'));

/** How a WebSocket client's attempt ends: opened, or refused with an HTTP status. */
function attempt(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.terminate();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ opened: false, status: res.statusCode, body }));
    });
    ws.on('error', () => {});
  });
}

/**
 * The attack as it was seen: an upgrade request with a forged token and, without waiting for
 * the answer, one masked binary frame of `bytes`. Resolves with the status line the master
 * answered, once the master has closed the connection.
 */
function pipelinedFrame(url, bytes, payload) {
  const { port, pathname } = new URL(url);
  const head = Buffer.alloc(14);
  head[0] = 0x82; // FIN, binary
  head[1] = 0x80 | 127; // masked, 64-bit length
  head.writeBigUInt64BE(BigInt(bytes), 2);
  // Mask key 0: the payload goes as it is.
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer ||= d.toString('latin1').split('\r\n')[0] + ' '));
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    socket.write(head);
    socket.end(payload.subarray(0, bytes));
  });
}

test('a forged or used token is refused at the upgrade with a 401: no WebSocket is opened', async () => {
  const url = await master.call('address');
  const bad = await attempt(forged(url));
  assert.deepEqual(
    { opened: bad.opened, status: bad.status },
    { opened: false, status: 401 },
    'a forged token never opens a socket',
  );
  assert.match(bad.body, /unknown, used or expired token/);
  assert.deepEqual(await attempt(url), { opened: true }, 'the real token opens one');
  const again = await attempt(url);
  assert.equal(again.status, 401, 'a token is good for one attachment only');
  await master.audit.waitFor(/refused cdp=.* reason="unknown, used or expired debugger token"/);
});

test(`${CONNECTIONS} forged-token connections of ${FRAME_BYTES / MiB} MiB each: the master buffers none`, async () => {
  const url = await master.call('address');
  const payload = Buffer.alloc(FRAME_BYTES);
  const before = await master.call('maxRss');
  const answers = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => pipelinedFrame(forged(url), FRAME_BYTES, payload)),
  );
  const grown = (await master.call('maxRss')) - before;
  console.log(
    `${CONNECTIONS} x ${FRAME_BYTES / MiB} MiB with forged tokens: answers ${JSON.stringify([...new Set(answers)])}; ` +
      `the master's peak RSS grew by ${(grown / MiB).toFixed(1)} MiB`,
  );
  // The 401 goes out at once; the master then resets the connection with the frame unread, and
  // the reset can overtake the answer on the attacker's side: either way, no upgrade.
  for (const a of answers) assert.match(a, /^(HTTP\/1\.1 401 .*|)$/, 'refused before the upgrade');
  assert.ok(grown < FRAME_BYTES / 2, `the master's peak RSS grew by ${(grown / MiB).toFixed(1)} MiB`);
});

test('a debugger with a good token that sends a message over the limit is closed with 1009, unbuffered', async () => {
  const ws = new WebSocket(await master.call('address'));
  await new Promise((resolve, reject) => ws.on('open', resolve).on('error', reject));
  // Accepted, the message would go on to the worker and the socket stay open: give up after a while.
  let timer;
  const closed = new Promise((resolve) => {
    ws.on('close', (code) => resolve(code));
    timer = setTimeout(() => resolve('still open after 30 s'), 30_000);
  }).finally(() => clearTimeout(timer));
  ws.on('error', () => {});
  const before = await master.call('maxRss');
  ws.send(Buffer.alloc(FRAME_BYTES));
  const code = await closed;
  const grown = (await master.call('maxRss')) - before;
  console.log(
    `${FRAME_BYTES / MiB} MiB message with a good token: closed ${code}; ` +
      `peak RSS grew by ${(grown / MiB).toFixed(1)} MiB`,
  );
  ws.terminate();
  assert.equal(code, 1009);
  assert.ok(grown < FRAME_BYTES / 2, `the master's peak RSS grew by ${(grown / MiB).toFixed(1)} MiB`);
  // The endpoint still serves: a fresh address attaches.
  assert.deepEqual(await attempt(await master.call('address')), { opened: true });
});
