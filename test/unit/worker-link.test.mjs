// The master's end of one worker connection (server/pool/worker-link.ts) over the in-memory
// link: what crosses the link is decoded on the worker's end, as a worker would see it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const { WorkerLink } = await loadSource('server/pool/worker-link.ts');
const { openMemoryPair } = await loadSource('protocol/link/memory-link.ts');
const { decodeFrame, decodeValue, encodeValue } = await loadSource('protocol/codec/codec.ts');
const { Signer, SignatureChecker, signingKey } = await loadSource('protocol/signing.ts');

const info = { name: 'w', host: 'h', pid: 1, node: process.version };
const def = (id, cache) => ({ id, mode: 'call', code: '(x) => x + 1', filename: 'f.ts', line: 2, column: 1, cache });
let nextTask = 1;
const task = (form, x) => ({ id: nextTask++, def: form, args: encodeValue([x]), kills: 0, settle() {} });

/** A WorkerLink on the master's end, and the messages the worker's end receives, in order. */
function setup() {
  const { master, worker } = openMemoryPair();
  const got = [];
  const waiters = [];
  worker.onMessage((m) => {
    got.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const received = async (n) => {
    while (got.length < n) await new Promise((r) => waiters.push(r));
    return got.slice(0, n);
  };
  return { link: new WorkerLink('w1', info, master), master, worker, received };
}

test('a cached form is sent once per worker; a one-off form goes with each task', async () => {
  const { link, received } = setup();
  const cached = def(10, true);
  const once = def(11, false);
  link.send([task(cached, 1), task(cached, 2)]);
  link.send([task(cached, 3), task(once, 4)]);
  link.send([task(once, 5)]);
  const [a, b, c] = await received(3);
  assert.deepEqual(
    a.forms.map((f) => f.id),
    [10],
  );
  assert.deepEqual(
    b.forms.map((f) => f.id),
    [11],
    'the cached form is not sent again',
  );
  assert.deepEqual(
    c.forms.map((f) => f.id),
    [11],
  );
  assert.deepEqual(
    [...a.tasks, ...b.tasks, ...c.tasks].map((t) => decodeValue(t.args)[0]),
    [1, 2, 3, 4, 5],
  );
  assert.equal(link.inflight.size, 5);
});

test('task frames go out through sendFrame in the compact layout and decode on the other end', async () => {
  const { link, master, received } = setup();
  const size = link.send([task(def(20, true), 7)]);
  const [m] = await received(1);
  assert.equal(master.sentFrames.length, 1);
  assert.equal(size, master.sentFrames[0].length, 'the size returned is the frame sent');
  assert.equal(master.sentFrames[0][0], 0xc1, 'the compact tasks layout');
  assert.deepEqual(decodeFrame(master.sentFrames[0]), m);
  assert.equal(m.t, 'tasks');
  assert.equal(m.tasks[0].form, 20);
});

test('a signed link sends a tasks message whose signature the worker accepts', async () => {
  const { link, received } = setup();
  const key = signingKey(Buffer.from('the shared secret of this pool!!'));
  const offer = { nonce: 'ab'.repeat(24), required: true };
  link.signer = new Signer(key, offer.nonce);
  link.send([task(def(30, true), 1)]);
  const [m] = await received(1);
  assert.equal(m.sig.seq, 1);
  assert.equal(new SignatureChecker(key, offer).check(m), undefined);
});

test('the window grows for cheap tasks and shrinks to one for slow ones', () => {
  const { link } = setup();
  assert.equal(link.window, 2, 'before any cost is known');
  for (let i = 0; i < 20; i++) link.recordCost(0.01);
  const cheap = link.window;
  assert.ok(cheap > 100, `window for 10 µs tasks: ${cheap}`);
  assert.ok(cheap <= 1024);
  for (let i = 0; i < 40; i++) link.recordCost(50);
  assert.equal(link.window, 1, 'slow tasks run one at a time');
  link.taskGroup = 8;
  assert.equal(link.window, 16, 'a task group sets the window');
});

test('after the link ends nothing goes out, and a clean close is told from a lost worker', async () => {
  const { link, master, worker } = setup();
  const ended = new Promise((r) => master.onEnd(r));
  worker.dispose(4004, 'worker stopping');
  await ended;
  link.send([task(def(40, true), 1)]);
  assert.equal(master.sentFrames.length, 0);
  assert.equal(link.closedCleanly, true);
});
