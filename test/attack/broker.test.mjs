// A worker that answers another worker's debugger questions. Any worker in the pool (it has
// the secret, or holds a seat) can send a debugResponse naming any reqId, and reqIds are
// sequential, so it can guess them. The broker used to settle whatever request the reqId
// named: a malicious w2 could forge the locals or an evaluate result the editor shows for w1.
// Now an answer is taken only from the connection the request went out on; any other is
// refused, audited (who sent it, for which request) and told back, and the request still
// waits for its own worker's answer.
//
// A real pool, with each worker a real in-memory link pair: frames pass through the real
// codec and the master end's guards, the pool's own message routing and its debug broker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { Lines } from '../reliability/helpers.mjs';

// One bundle, so the pool and the link pair share one copy of the protocol modules.
const { WorkerPool, openMemoryPair } = await loadSource(['server/pool/pool.ts', 'protocol/link/memory-link.ts']);

/** A worker end the test drives by hand: what it receives, to wait on, and a way to send. */
function fakeWorker(pool, name) {
  const { master, worker } = openMemoryPair();
  const got = [];
  const waiters = [];
  worker.onMessage((m) => {
    got.push(m);
    for (const w of waiters.splice(0)) w();
  });
  /** Resolves with the first message received of type `t`, already here or to come. */
  const next = async (t) => {
    for (;;) {
      const hit = got.find((m) => m.t === t);
      if (hit) {
        got.splice(got.indexOf(hit), 1);
        return hit;
      }
      await new Promise((r) => waiters.push(r));
    }
  };
  const link = pool.adopt(master, { name, host: 'attack.test', pid: 1, node: process.version });
  return { id: link.id, link, send: (m) => worker.send(m), next };
}

/** A pool whose audit lines the test can wait for. */
function auditedPool() {
  const audit = new Lines();
  const pool = new WorkerPool({ audit: { to: (line) => audit.push(line), tasks: false } });
  return { pool, audit };
}

const pausedMsg = (pauseId) => ({
  t: 'debugPaused',
  pauseId,
  taskId: 1,
  condition: { reason: 'exception', name: 'Error', message: 'boom' },
  frames: [{ index: 0, functionName: 'f', file: 'user.ts', line: 3, column: 5, internal: false, scopes: [] }],
});

/** The worker suspends, and the broker (the master's side) has said so. */
async function suspend(pool, w, pauseId) {
  const seen = new Promise((resolve) => pool.debug.once('paused', resolve));
  w.send(pausedMsg(pauseId));
  const s = await seen;
  assert.equal(s.id, `${w.id}.${pauseId}`);
  return s;
}

test("another worker's answer is refused, audited and told back; the owner's answer still counts", async () => {
  const { pool, audit } = auditedPool();
  try {
    const victim = fakeWorker(pool, 'victim');
    const attacker = fakeWorker(pool, 'attacker');
    const s = await suspend(pool, victim, 1);

    // The editor asks the victim's frame for `x`; the question goes to the victim alone.
    const asked = pool.debug.request(s.id, { op: 'evaluate', frame: 0, expression: 'x' });
    const outcome = asked.then(
      (answer) => ({ answer }),
      (error) => ({ error }),
    );
    const req = await victim.next('debugRequest');
    assert.equal(req.pauseId, 1);

    // The attacker answers it first, with a forged value.
    const forged = { value: { name: 'x', type: 'string', value: '"forged by the attacker"' } };
    attacker.send({ t: 'debugResponse', reqId: req.reqId, ok: true, answer: forged });
    const refusal = audit.waitFor(/ bad-frame worker=w2 /, 10_000);
    const first = await Promise.race([outcome.then((o) => ({ settled: o })), refusal.then((l) => ({ audited: l }))]);
    assert.ok(
      'audited' in first,
      `the forged answer must not settle the request; it settled with ${JSON.stringify(first.settled)}`,
    );
    assert.match(first.audited.text, new RegExp(` request=${req.reqId} `), 'the audit line names the request');
    assert.match(first.audited.text, / askedOf=w1 /, 'and the worker it was sent to');
    assert.match(first.audited.text, /error=".*w2.*request \d+.*sent to w1/, 'with a clear reason');

    // The attacker is told why, as for any bad frame.
    const told = await attacker.next('protocolError');
    assert.equal(told.code, 'CREW_BAD_FRAME');
    assert.match(told.message, new RegExp(`request ${req.reqId} was sent to w1, not to w2`));

    // The victim's own answer settles the request, with the real value.
    const real = { value: { name: 'x', type: 'number', value: '5' } };
    victim.send({ t: 'debugResponse', reqId: req.reqId, ok: true, answer: real });
    assert.deepEqual(await outcome, { answer: real });
    assert.equal(audit.count(/ bad-frame worker=w1 /), 0, "the owner's answer is not refused");
  } finally {
    await pool.close('test over');
  }
});

test('an error answer from another worker does not fail the request either', async () => {
  const { pool, audit } = auditedPool();
  try {
    const victim = fakeWorker(pool, 'victim');
    const attacker = fakeWorker(pool, 'attacker');
    // The attacker is suspended too: owning a suspension gives it no say over the victim's.
    await suspend(pool, attacker, 1);
    const s = await suspend(pool, victim, 1);
    const outcome = pool.debug.request(s.id, { op: 'properties', objectId: 'scope:0' }).then(
      (answer) => ({ answer }),
      (error) => ({ error }),
    );
    const req = await victim.next('debugRequest');
    attacker.send({ t: 'debugResponse', reqId: req.reqId, ok: false, code: 'CREW_DEBUG_STALE', message: 'resumed' });
    const refusal = audit.waitFor(/ bad-frame worker=w2 /, 10_000);
    const first = await Promise.race([outcome.then((o) => ({ settled: o })), refusal.then((l) => ({ audited: l }))]);
    assert.ok('audited' in first, `a forged failure must not settle the request: ${JSON.stringify(first.settled)}`);
    victim.send({ t: 'debugResponse', reqId: req.reqId, ok: true, answer: { values: [] } });
    assert.deepEqual(await outcome, { answer: { values: [] } });
  } finally {
    await pool.close('test over');
  }
});

test('an answer to a request no one is waiting for is refused and audited', async () => {
  const { pool, audit } = auditedPool();
  try {
    const attacker = fakeWorker(pool, 'attacker');
    attacker.send({ t: 'debugResponse', reqId: 999, ok: true, answer: { values: [] } });
    const line = await audit.waitFor(/ bad-frame worker=w1 request=999 /, 10_000);
    assert.match(line.text, /error=".*request 999 is not waiting for an answer/);
    const told = await attacker.next('protocolError');
    assert.equal(told.code, 'CREW_BAD_FRAME');
  } finally {
    await pool.close('test over');
  }
});
