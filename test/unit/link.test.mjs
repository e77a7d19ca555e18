// The in-memory link: real codec, the receiving end's guard, ordered asynchronous delivery,
// and ends that carry their close codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const { openMemoryPair, MemoryLink } = await loadSource('protocol/link/memory-link.ts');
const { fromWorker } = await loadSource('protocol/messages/worker-link-guards.ts');
const { encodeValue, decodeValue, encodeTaskFrame, decodeFrame } = await loadSource('protocol/codec/codec.ts');

/** Resolves with the next `n` messages a link delivers. */
function take(link, n) {
  return new Promise((resolve) => {
    const got = [];
    link.onMessage((m) => {
      got.push(m);
      if (got.length === n) resolve(got);
    });
  });
}

const badFrame = (link) => new Promise((resolve) => link.onBadFrame(resolve));
const ended = (link) => new Promise((resolve) => link.onEnd(resolve));

test('messages arrive in order, through the codec, after the sending turn', async () => {
  const { master, worker } = openMemoryPair();
  const got = take(master, 3);
  let delivered = false;
  void got.then(() => (delivered = true));
  worker.send({ t: 'output', stream: 'stdout', text: 'one' });
  worker.send({ t: 'results', results: [{ id: 1, ok: true, value: encodeValue(new Map([[1, 2n]])), ms: 0.5 }] });
  worker.send({ t: 'output', stream: 'stderr', text: 'three' });
  assert.equal(delivered, false, 'nothing is delivered synchronously');
  const [a, b, c] = await got;
  assert.equal(a.text, 'one');
  assert.deepEqual(decodeValue(b.results[0].value), new Map([[1, 2n]]));
  assert.equal(c.text, 'three');
});

test('messages sent before a handler is set are delivered to it', async () => {
  const { master, worker } = openMemoryPair();
  master.send({ t: 'interrupt' });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const [m] = await take(worker, 1);
  assert.equal(m.t, 'interrupt');
});

test('sendFrame carries a frame the codec encoded, and it decodes on the other end', async () => {
  const { master, worker } = openMemoryPair();
  const form = { id: 3, mode: 'call', code: '(x) => x', filename: 'f.js', line: 1, column: 1, cache: true };
  const frame = encodeTaskFrame([form], [{ id: 9, def: form, args: encodeValue([4]) }]);
  assert.ok(frame, 'plain tasks have a compact frame');
  const got = take(worker, 1);
  assert.equal(master.sendFrame(frame), true);
  const [m] = await got;
  assert.equal(m.t, 'tasks');
  assert.equal(m.forms[0].code, '(x) => x');
  assert.equal(m.tasks[0].form, 3);
  assert.deepEqual(decodeValue(m.tasks[0].args), [4]);
  assert.deepEqual(decodeFrame(master.sentFrames[0]), m);
});

test('a message that fails the guard reaches onBadFrame, naming the field, not onMessage', async () => {
  const { master, worker } = openMemoryPair();
  worker.onMessage((m) => assert.fail(`delivered ${m.t}`));
  const bad = badFrame(worker);
  master.send({
    t: 'tasks',
    forms: [{ id: 1, mode: 'value', filename: 'x.js', line: 1, column: 1, cache: false }],
    tasks: [],
  });
  const err = await bad;
  assert.equal(err.code, 'CREW_BAD_FRAME');
  assert.equal(err.message, 'frame is not a message a master sends: tasks.forms[0].code is missing');
});

test('a message of the wrong direction and an unknown tag are refused with their reason', async () => {
  const { master, worker } = openMemoryPair();
  const bad = [];
  const two = new Promise((resolve) =>
    master.onBadFrame((e) => {
      bad.push(e.message);
      if (bad.length === 2) resolve();
    }),
  );
  worker.send({ t: 'tasks', forms: [], tasks: [] });
  worker.send({ t: 'nonsense' });
  await two;
  assert.deepEqual(bad, [
    'frame is not a message a worker sends: tasks is sent by a master, not by a worker',
    'frame is not a message a worker sends: unknown message tag "nonsense"',
  ]);
});

test('an undecodable frame reaches onBadFrame with the codec error', async () => {
  const { master, worker } = openMemoryPair();
  const bad = badFrame(worker);
  master.sendFrame(new Uint8Array([0xc1, 1, 2]));
  const err = await bad;
  assert.equal(err.code, 'CREW_BAD_FRAME');
  assert.match(err.message, /undecodable frame of 3 bytes/);
});

test('ending one end ends the other with the close code, after what was sent before', async () => {
  const { master, worker } = openMemoryPair();
  const got = take(master, 1);
  const end = ended(master);
  worker.send({ t: 'evalThreadRestarted', reason: 'before the end' });
  worker.dispose(4004, 'master shut down');
  assert.equal(worker.phase, 'closed');
  assert.equal(worker.send({ t: 'output', stream: 'stdout', text: 'late' }), false, 'a closed end sends nothing');
  assert.equal((await got)[0].reason, 'before the end');
  assert.equal(await end, 'master shut down');
  assert.equal(master.peerCloseCode, 4004);
  assert.equal(worker.peerCloseCode, undefined, 'the side that ended first has no peer code');
  assert.equal(master.sendFrame(new Uint8Array(1)), false);
});

test('before it is opened a link carries text only; a binary frame ends it as a bad frame', async () => {
  const [a, b] = MemoryLink.pair('a', 'b');
  const text = new Promise((resolve) => b.onText(resolve));
  a.sendText('{"t":"hello"}');
  assert.equal(await text, '{"t":"hello"}');
  assert.equal(a.send({ t: 'interrupt' }), false, 'nothing typed goes out before the handshake');
  const opened = a.open(fromWorker);
  const end = ended(opened);
  assert.equal(opened.send({ t: 'interrupt' }), true);
  assert.equal(await end, 'binary frame before authentication');
  assert.equal(opened.peerCloseCode, 4003);
  assert.equal(b.phase, 'closed');
});
