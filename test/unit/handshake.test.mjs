// Both challenge-response handshakes: the worker link's over the in-memory link, the editor's
// LSP one over a real loopback socket. Right secret both ways, wrong secret, a replayed
// transcript, a version mismatch and a silent peer.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const H = await loadSource('protocol/link/worker-handshake.ts');
const L = await loadSource('protocol/link/lsp-handshake.ts');
const { MemoryLink } = await loadSource('protocol/link/memory-link.ts');

const secret = Buffer.from('a test secret of thirty-two bytes!');
const other = Buffer.from('another secret, also long enough!!');
const code = (p) =>
  p.then(
    () => 'resolved',
    (e) => e.code,
  );

/** The next text frame `link` receives, parsed. */
const nextText = (link) => new Promise((resolve) => link.onText((t) => resolve(JSON.parse(t))));

test('worker handshake: the right secret opens both ends, typed by direction, either way of dialing', async () => {
  for (const [acceptRole, dialRole] of [
    ['worker', 'master'],
    ['master', 'worker'],
  ]) {
    const [a, d] = MemoryLink.pair('acceptor', 'dialer');
    const [accepted, dialed] = await Promise.all([
      H.acceptHandshake(a, { secret, role: acceptRole, member: 'job1' }),
      H.dialHandshake(d, { secret, role: dialRole, member: 'job1' }),
    ]);
    assert.equal(accepted.role, dialRole);
    assert.equal(dialed.role, acceptRole);
    assert.equal(accepted.link.phase, 'open');
    const [masterEnd, workerEnd] =
      acceptRole === 'master' ? [accepted.link, dialed.link] : [dialed.link, accepted.link];
    const got = new Promise((resolve) => workerEnd.onMessage(resolve));
    const refused = new Promise((resolve) => masterEnd.onBadFrame(resolve));
    masterEnd.send({ t: 'shutdown', reason: 'done' });
    workerEnd.send({ t: 'tasks', forms: [], tasks: [] });
    assert.deepEqual(await got, { t: 'shutdown', reason: 'done' });
    assert.match((await refused).message, /tasks is sent by a master, not by a worker/);
    masterEnd.dispose();
  }
});

test('worker handshake: a wrong secret fails with CREW_AUTH_FAILED on both sides', async () => {
  const [a, d] = MemoryLink.pair();
  const ends = [
    code(H.acceptHandshake(a, { secret, role: 'worker' })),
    code(H.dialHandshake(d, { secret: other, role: 'master' })),
  ];
  assert.deepEqual(await Promise.all(ends), ['CREW_AUTH_FAILED', 'CREW_AUTH_FAILED']);
  assert.equal(a.phase, 'closed');
  assert.equal(d.phase, 'closed');
});

test('worker handshake: a recorded transcript replayed to a fresh challenge fails', async () => {
  const [a, d] = MemoryLink.pair();
  const [spyA, spyD] = [[], []];
  const [tapA, tapD] = [a.sendText.bind(a), d.sendText.bind(d)];
  a.sendText = (t) => (spyA.push(t), tapA(t));
  d.sendText = (t) => (spyD.push(t), tapD(t));
  await Promise.all([H.acceptHandshake(a, { secret, role: 'worker' }), H.dialHandshake(d, { secret, role: 'master' })]);
  const recordedAuth = spyD[0];
  assert.equal(JSON.parse(recordedAuth).t, 'auth');

  const [fresh, attacker] = MemoryLink.pair();
  const accepting = code(H.acceptHandshake(fresh, { secret, role: 'worker' }));
  const hello = await nextText(attacker);
  assert.notEqual(hello.nonce, JSON.parse(spyA[0]).nonce, 'each challenge is fresh');
  const answer = nextText(attacker);
  attacker.sendText(recordedAuth);
  assert.equal(await accepting, 'CREW_AUTH_FAILED');
  assert.equal((await answer).t, 'refused');
});

test('worker handshake: a version mismatch is refused, naming both versions', async () => {
  const [a, peer] = MemoryLink.pair();
  const accepting = H.acceptHandshake(a, { secret, role: 'worker' });
  await nextText(peer);
  peer.sendText(JSON.stringify({ t: 'auth', v: 99, role: 'master', nonce: 'ab'.repeat(32), mac: 'x' }));
  await assert.rejects(accepting, (e) => {
    assert.equal(e.code, 'CREW_AUTH_FAILED');
    assert.match(e.message, /speaks protocol version 99, this end speaks 1/);
    return true;
  });
});

test('worker handshake: a silent peer times out with CREW_HANDSHAKE_TIMEOUT and close code 4002', async () => {
  const [a, peer] = MemoryLink.pair();
  const closed = new Promise((resolve) => peer.onEnd(resolve));
  assert.equal(await code(H.acceptHandshake(a, { secret, role: 'worker', timeoutMs: 50 })), 'CREW_HANDSHAKE_TIMEOUT');
  await closed;
  assert.equal(peer.peerCloseCode, 4002);
});

// The LSP handshake over a real loopback connection.
const sockets = [];
let server;
const accepted = [];
const waiting = [];
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server?.close(r));
});
async function socketPair() {
  server ??= await new Promise((resolve) => {
    const s = net.createServer((sock) => {
      sockets.push(sock);
      const w = waiting.shift();
      if (w) w(sock);
      else accepted.push(sock);
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  const serverSide = accepted.length ? Promise.resolve(accepted.shift()) : new Promise((r) => waiting.push(r));
  const client = net.connect(server.address().port, '127.0.0.1');
  sockets.push(client);
  await new Promise((r) => client.once('connect', r));
  return { master: await serverSide, editor: client };
}

/** The next JSON line a raw socket receives. */
const nextLine = (socket) =>
  new Promise((resolve) => {
    let buf = '';
    const on = (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      socket.off('data', on);
      resolve(JSON.parse(buf.slice(0, nl)));
    };
    socket.on('data', on);
  });

test('LSP handshake: the right secret succeeds both ways; a wrong one fails on both sides', async () => {
  const good = await socketPair();
  await Promise.all([L.acceptLspAuth(good.master, secret, 'editor'), L.dialLspAuth(good.editor, secret, 'master')]);
  const bad = await socketPair();
  const ends = [code(L.acceptLspAuth(bad.master, secret, 'editor')), code(L.dialLspAuth(bad.editor, other, 'master'))];
  assert.deepEqual(await Promise.all(ends), ['CREW_AUTH_FAILED', 'CREW_AUTH_FAILED']);
});

test('LSP handshake: a replayed auth line and a version mismatch are refused; a silent editor times out', async () => {
  const first = await socketPair();
  const written = [];
  const write = first.editor.write.bind(first.editor);
  first.editor.write = (chunk, ...rest) => (written.push(String(chunk)), write(chunk, ...rest));
  await Promise.all([L.acceptLspAuth(first.master, secret, 'editor'), L.dialLspAuth(first.editor, secret, 'master')]);
  const recorded = written.find((w) => w.includes('"auth"'));
  assert.ok(recorded, 'the editor wrote its auth line');

  const replay = await socketPair();
  const accepting = code(L.acceptLspAuth(replay.master, secret, 'editor'));
  await nextLine(replay.editor);
  replay.editor.write(recorded);
  assert.equal(await accepting, 'CREW_AUTH_FAILED');

  const versions = await socketPair();
  const mismatch = L.acceptLspAuth(versions.master, secret, 'editor');
  await nextLine(versions.editor);
  versions.editor.write(JSON.stringify({ t: 'auth', v: 99, nonce: 'ab'.repeat(32), mac: 'x' }) + '\n');
  await assert.rejects(mismatch, (e) => e.code === 'CREW_AUTH_FAILED' && /version 99/.test(e.message));

  const silent = await socketPair();
  assert.equal(await code(L.acceptLspAuth(silent.master, secret, 'editor', 50)), 'CREW_HANDSHAKE_TIMEOUT');
});
