// A large frame and its tag: appending the 16-byte tag to a frame of many megabytes copied
// the frame, on both ends of every large round trip. A frame of 64 KiB or more now goes as one
// WebSocket message in two fragments, the frame as it is and then its tag, and the receiver
// checks them apart. A peer that sends frame and tag in one fragment is still understood, and
// a tag fragment that is not the frame's own ends the link as before.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { killHard, newSecret, startWorkerProcess } from './helpers.mjs';
import { authenticate, codec, frame } from './wire.mjs';

const secret = newSecret();
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const echo = { id: 1, mode: 'call', code: '(a) => a', filename: 'echo.js', line: 1, column: 1, cache: true };
const big = new Float64Array(256 * 1024).map((_, i) => i * 0.5); // 2 MiB

/** Authenticates as a master to a fresh worker, reading binary messages as their fragments. */
async function master() {
  const worker = await startWorkerProcess({ secret, mode: ['--port', '0'] });
  cleanups.push(() => killHard(worker.child));
  const c = await authenticate(worker.port, secret, 'master');
  c.ws.binaryType = 'fragments';
  const messages = [];
  const waiters = [];
  c.ws.on('message', (parts, isBinary) => {
    if (!isBinary) return;
    messages.push(parts);
    for (const w of waiters.splice(0)) w();
  });
  /** The next binary message whose frame `pick` accepts once opened: its fragments and body. */
  const nextWhere = async (pick) => {
    for (;;) {
      while (messages.length === 0) await new Promise((r) => waiters.push(r));
      const parts = messages.shift();
      const body =
        parts.length === 2 && parts[1].length === 16
          ? c.seal.openTagged(parts[0], parts[1])
          : c.seal.open(Buffer.concat(parts));
      assert.ok(body, 'every frame from the worker opens');
      const msg = codec.decodeFrame(body);
      if (pick(msg)) return { parts, msg };
    }
  };
  return { worker, c, nextWhere };
}

test('a large result comes back as two fragments, frame then tag, and is the value sent', async () => {
  const { c, nextWhere } = await master();
  const tasks = frame({ t: 'tasks', forms: [echo], tasks: [{ id: 1, form: 1, args: codec.encodeArgList([big]) }] });
  // Sent the old way, frame and tag in one fragment: still understood.
  c.ws.send(Buffer.concat([tasks, c.seal.tag(tasks)]));
  const { parts, msg } = await nextWhere((m) => m.t === 'results');
  assert.equal(parts.length, 2, 'frame and tag in fragments of their own');
  assert.equal(parts[1].length, 16);
  assert.ok(parts[0].length > big.byteLength);
  const [result] = msg.results;
  assert.equal(result.ok, true);
  assert.deepEqual(codec.decodeValue(result.value), big);
});

test('a large frame sent as frame and tag apart is read; a tag fragment not its own ends the link', async () => {
  const { worker, c, nextWhere } = await master();
  const tasks = frame({ t: 'tasks', forms: [echo], tasks: [{ id: 2, form: 1, args: codec.encodeArgList([big]) }] });
  c.ws.send(tasks, { fin: false });
  c.ws.send(c.seal.tag(tasks), { fin: true });
  const { msg } = await nextWhere((m) => m.t === 'results');
  assert.deepEqual(codec.decodeValue(msg.results[0].value), big);

  const forged = frame({ t: 'tasks', forms: [], tasks: [{ id: 3, form: 1, args: codec.encodeArgList([big]) }] });
  const tag = c.seal.tag(forged);
  tag[0] ^= 1;
  c.ws.send(forged, { fin: false });
  c.ws.send(tag, { fin: true });
  assert.equal((await c.closed).code, 4001);
  await worker.out.waitFor(/a frame failed authentication/);
});
