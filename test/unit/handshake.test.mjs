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
const I = await loadSource('protocol/link/identity.ts');
const H_codec = await loadSource('protocol/codec/codec.ts');

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

test('worker handshake: ends that see two TLS channels (a relay in the middle) say CREW_CHANNEL_MISMATCH', async () => {
  // What a relay that terminates TLS leaves: each end's exported keying material differs, or
  // one end sees TLS and the other plain TCP (TLS stripped).
  for (const [acceptorSees, dialerSees] of [
    ['tls:aa', 'tls:bb'],
    [undefined, 'tls:bb'],
    ['tls:aa', undefined],
  ]) {
    const [a, d] = MemoryLink.pair();
    a.channel = acceptorSees;
    d.channel = dialerSees;
    const ends = [
      H.acceptHandshake(a, { secret, role: 'worker' }).catch((e) => e),
      H.dialHandshake(d, { secret, role: 'master' }).catch((e) => e),
    ];
    const [acceptor, dialer] = await Promise.all(ends);
    assert.equal(acceptor.code, 'CREW_CHANNEL_MISMATCH');
    assert.match(acceptor.message, /knows the secret but its handshake was made over another channel/);
    assert.equal(dialer.code, 'CREW_CHANNEL_MISMATCH');
    assert.match(dialer.message, /proved it knows the secret but saw another channel/);
  }
  // The same channel on both ends opens the link; a wrong secret over differing channels is
  // a wrong secret, not a man in the middle.
  const [a, d] = MemoryLink.pair();
  a.channel = d.channel = 'tls:cc';
  await Promise.all([H.acceptHandshake(a, { secret, role: 'worker' }), H.dialHandshake(d, { secret, role: 'master' })]);
  const [a2, d2] = MemoryLink.pair();
  a2.channel = 'tls:aa';
  d2.channel = 'tls:bb';
  const wrong = [
    code(H.acceptHandshake(a2, { secret, role: 'worker' })),
    code(H.dialHandshake(d2, { secret: other, role: 'master' })),
  ];
  assert.deepEqual(await Promise.all(wrong), ['CREW_AUTH_FAILED', 'CREW_AUTH_FAILED']);
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
    assert.equal(e.code, 'CREW_VERSION_MISMATCH');
    assert.match(e.message, /speaks Crew protocol version 99, this end speaks \d+/);
    return true;
  });
});

/**
 * A man in the middle on in-memory links: it passes the handshake between `dialer` and
 * `listener` and lets `tamper` change each text frame first. Returns both ends' outcomes.
 */
async function relayed(dialOpts, acceptOpts, tamper = (t) => t) {
  const [d, dm] = MemoryLink.pair('dialer', 'mitm-d');
  const [lm, l] = MemoryLink.pair('mitm-l', 'listener');
  dm.onText((t) => lm.sendText(tamper(t, 'up')));
  lm.onText((t) => dm.sendText(tamper(t, 'down')));
  const ends = await Promise.allSettled([
    H.dialHandshake(d, { secret, ...dialOpts }),
    H.acceptHandshake(l, { secret, ...acceptOpts }),
  ]);
  return { ends, d, l, dm, lm };
}

test('worker handshake: a member or identity changed on the way fails on both sides', async () => {
  const rewrite = (field, value) => (t, dir) => {
    const m = JSON.parse(t);
    if (dir === 'up' && m.t === 'auth') m[field] = value;
    return JSON.stringify(m);
  };
  const another = new I.Identity().id;
  for (const [field, value] of [
    ['member', 'job2'],
    ['id', another],
  ]) {
    const { ends } = await relayed(
      { role: 'master', member: 'job1' },
      { role: 'worker', member: field === 'member' ? undefined : 'job1' },
      rewrite(field, value),
    );
    assert.deepEqual(
      ends.map((e) => e.reason?.code),
      ['CREW_AUTH_FAILED', 'CREW_AUTH_FAILED'],
      `a rewritten ${field} is refused`,
    );
  }
});

test('worker handshake: a peer cannot claim an identity it holds no key for', async () => {
  const victim = new I.Identity();
  // Knows the secret (another master of the same user) and sends the victim's id, with its own proof.
  const mallory = new I.Identity();
  const claim = Object.assign(Object.create(Object.getPrototypeOf(mallory)), mallory, { id: victim.id });
  const { ends } = await relayed({ role: 'master', identity: claim }, { role: 'worker' });
  assert.equal(ends[1].reason?.code, 'CREW_AUTH_FAILED');
  assert.match(ends[1].reason.message, /could not prove its identity/);
  const honest = await relayed({ role: 'master', identity: victim }, { role: 'worker' });
  assert.equal(honest.ends[1].value.id, victim.id, 'the holder of the key is known by its id');
});

test('worker handshake: after it, a frame that a relay forges, replays or reorders closes the link', async () => {
  for (const attack of ['forge', 'replay', 'swap']) {
    const { ends, dm, lm } = await relayed({ role: 'master' }, { role: 'worker' });
    const [master, worker] = ends.map((e) => e.value.link);
    // From here the relay passes frames on as it likes: each end's frames reach it.
    const toWorker = [];
    const seen = [];
    worker.onMessage((m) => seen.push(m));
    const bad = new Promise((resolve) => worker.onBadFrame(resolve));
    const captured = new Promise((resolve) => {
      dm.receiveFrame = (f) => {
        toWorker.push(Buffer.from(f));
        if (toWorker.length === 2) resolve();
      };
    });
    master.send({ t: 'interrupt' });
    master.send({ t: 'debugMode', on: true });
    await captured;
    const [first, second] = toWorker;
    // The relay's own end toward the worker is still in its handshake phase: post raw frames.
    const inject = (f) => lm.post({ frame: f });
    if (attack === 'forge') inject(Buffer.concat([H_codec.encodeFrame({ t: 'interrupt' }), Buffer.alloc(16)]));
    if (attack === 'replay') (inject(first), inject(first));
    if (attack === 'swap') (inject(second), inject(first));
    const err = await bad;
    assert.equal(err.code, 'CREW_FRAME_AUTH_FAILED', attack);
    assert.equal(worker.phase, 'closed', `${attack}: the worker ends the link`);
    assert.ok(seen.length <= 1, `${attack}: nothing after the first good frame is delivered`);
    if (attack !== 'replay') assert.equal(seen.length, 0, `${attack}: the first frame is refused`);
  }
});

test('worker handshake: a dialer refuses a listener its vetPeer rejects, before it answers', async () => {
  const { ends } = await relayed(
    { role: 'master', vetPeer: (p) => (p.role === 'worker' ? 'it is already connected elsewhere' : undefined) },
    { role: 'worker' },
  );
  assert.equal(ends[0].reason?.code, 'CREW_AUTH_FAILED');
  assert.match(ends[0].reason.message, /already connected elsewhere/);
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
  await assert.rejects(mismatch, (e) => e.code === 'CREW_VERSION_MISMATCH' && /version 99/.test(e.message));

  const silent = await socketPair();
  assert.equal(await code(L.acceptLspAuth(silent.master, secret, 'editor', 50)), 'CREW_HANDSHAKE_TIMEOUT');
});
