// dist-emacs's signed code: workers with --require-signed refuse unsigned, mis-signed and
// replayed requests; a master signs for them by itself.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ErrorCodes, evalFormAllWorkers, evalOn, parallelMap } from 'crew';
import { localPool, SECRET, startCrew } from '../helpers.mjs';
import { loadProtocol } from './protocol.mjs';

let P;
before(async () => {
  P = await loadProtocol();
});

test('a master signs for workers that require it, and everything runs', async () => {
  const pool = await localPool(2, { localWorkerArgs: ['--require-signed'] });
  try {
    await evalFormAllWorkers(pool, 'function twice(x) { return 2 * x }');
    assert.deepEqual(await parallelMap(pool, (x) => `twice(${x})`, [1, 2, 3, 4]), [2, 4, 6, 8]);
    assert.equal(await evalOn(pool, 'w2', 'twice(21)'), 42);
  } finally {
    await pool.close();
  }
});

test('with sign: false the master sends unsigned code, and the worker refuses it', async () => {
  const pool = await localPool(1, { localWorkerArgs: ['--require-signed'], sign: false });
  try {
    await assert.rejects(
      evalOn(pool, null, '1 + 1'),
      (err) =>
        err.code === ErrorCodes.Unsigned &&
        /unsigned code refused: this worker runs only signed requests \(--require-signed\)/.test(err.message),
    );
  } finally {
    await pool.close();
  }
});

/** A hand-made master on one connection to a worker, to send frames of its own making. */
async function rawMaster(port) {
  const link = P.dial(`127.0.0.1:${port}`);
  await P.dialHandshake(link, { secret: Buffer.from(SECRET), role: 'master' });
  const inbox = [];
  const waiters = [];
  // The worker reports its load every second, whatever this master sends.
  link.onMessage((m) => m.t !== 'load' && (waiters.length ? waiters.shift()(m) : inbox.push(m)));
  const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)));
  const ready = await next();
  assert.equal(ready.t, 'ready');
  return { link, offer: ready.info.signing, next };
}

let formId = 100;
function frame(code, taskId) {
  const def = { id: ++formId, mode: 'value', code, filename: 'raw.js', line: 1, column: 1, cache: false };
  return { forms: [def], tasks: [{ id: taskId, form: def.id }] };
}

async function outcome(m, msg) {
  m.link.send({ t: 'tasks', ...msg });
  const reply = await m.next();
  assert.equal(reply.t, 'results');
  const r = reply.results[0];
  return r.ok ? { value: P.decodeValue(r.value) } : { code: r.error.code, message: r.error.message };
}

test(
  'a worker with --require-signed: signed runs; unsigned, mis-signed, ' + 'wrong key and replayed are refused',
  async () => {
    const worker = await startCrew(['worker', '--port', '0', '--require-signed', '--audit-file', 'none'], {
      readyPattern: /listening on 127\.0\.0\.1:(\d+)/,
    });
    try {
      const m = await rawMaster(Number(worker.match[1]));
      assert.equal(m.offer.required, true);
      const signer = new P.Signer(P.signingKey(Buffer.from(SECRET)), m.offer.nonce);
      const sign = (f) => ({ ...f, sig: signer.sign(f.forms, f.tasks) });

      const good = sign(frame('6 * 7', 1));
      assert.deepEqual(await outcome(m, good), { value: 42 });
      // The very same frame again: its sequence number was seen.
      assert.equal((await outcome(m, good)).code, ErrorCodes.Replayed);

      assert.equal((await outcome(m, frame('1', 2))).code, ErrorCodes.Unsigned);

      // A valid signature moved onto different code.
      const altered = sign(frame('6 * 7', 3));
      altered.forms[0].code = 'process.exit(1)';
      const bad = await outcome(m, altered);
      assert.equal(bad.code, ErrorCodes.BadSignature);
      assert.match(bad.message, /does not match its code/);

      const stranger = new P.Signer(P.signingKey(Buffer.from('some other secret, 32 bytes long')), m.offer.nonce);
      const f = frame('2', 4);
      assert.equal((await outcome(m, { ...f, sig: stranger.sign(f.forms, f.tasks) })).code, ErrorCodes.BadSignature);

      assert.equal((await outcome(m, { ...frame('3', 5), sig: { seq: -1, mac: 'zz' } })).code, ErrorCodes.BadSignature);

      // After all those refusals, signed code still runs.
      assert.deepEqual(await outcome(m, sign(frame('"still here"', 6))), { value: 'still here' });
      m.link.dispose();

      // A frame recorded on one connection is useless on the next: the nonce is new.
      const m2 = await rawMaster(Number(worker.match[1]));
      assert.notEqual(m2.offer.nonce, m.offer.nonce);
      assert.equal((await outcome(m2, good)).code, ErrorCodes.BadSignature);
      m2.link.dispose();
    } finally {
      worker.child.kill();
    }
  },
);

test('a worker without --require-signed runs unsigned code but still checks a signature that is present', async () => {
  const worker = await startCrew(['worker', '--port', '0', '--audit-file', 'none'], {
    readyPattern: /listening on 127\.0\.0\.1:(\d+)/,
  });
  try {
    const m = await rawMaster(Number(worker.match[1]));
    assert.equal(m.offer.required, false);
    assert.deepEqual(await outcome(m, frame('"plain"', 1)), { value: 'plain' });
    const f = frame('"forged"', 2);
    assert.equal((await outcome(m, { ...f, sig: { seq: 1, mac: '0'.repeat(64) } })).code, ErrorCodes.BadSignature);
    m.link.dispose();
  } finally {
    worker.child.kill();
  }
});

test('the digest covers code, arguments and options, and cannot be shifted between fields', () => {
  const def = { id: 1, mode: 'value', code: 'ab', filename: 'f', line: 1, column: 1, cache: false };
  const d = (forms, tasks, g) => P.tasksDigest(forms, tasks, g).toString('hex');
  const base = d([def], [{ id: 1, form: 1 }]);
  assert.notEqual(d([{ ...def, code: 'ac' }], [{ id: 1, form: 1 }]), base);
  assert.notEqual(
    d([{ ...def, code: 'a', filename: 'bf' }], [{ id: 1, form: 1 }]),
    d([{ ...def, code: 'ab', filename: 'f' }], [{ id: 1, form: 1 }]),
  );
  assert.notEqual(d([def], [{ id: 1, form: 1, args: new Uint8Array([1]) }]), base);
  assert.notEqual(d([def], [{ id: 1, form: 1, timeoutMs: 5 }]), base);
  assert.notEqual(d([def], [{ id: 1, form: 1 }], 4), base);
  assert.equal(d([{ ...def }], [{ id: 1, form: 1 }]), base);
});
