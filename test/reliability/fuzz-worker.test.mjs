// Fuzzing a worker's port with >= 10,000 random and mutated frames, before and after
// authentication, while real sessions on the same worker complete correctly.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connectWorkers, disconnectWorkers, evalOn, form, parallelMap } from 'crew';
import { killHard, newSecret, record, startWorkerProcess, until } from './helpers.mjs';
import { authenticate, codec } from './wire.mjs';
import {
  fuzzAfterAuth,
  fuzzBeforeAuth,
  fuzzRawTcp,
  masterCorpus,
  masterMessages,
  postAuthFrames,
  refusedFrames,
  rng,
  shapeFrames,
} from './fuzz-lib.mjs';

/** Every tag a worker accepts, except those that legally end or freeze the session's work. */
const MASTER_TAGS = [
  'agent',
  'tasks',
  'protocolError',
  'debugMode',
  'debugRequest',
  'cdpOpen',
  'cdpMessage',
  'cdpClose',
];

const secret = newSecret();
const seed = Number(process.env.CREW_FUZZ_SEED ?? Date.now() % 2 ** 31);
const PRE_CONNECTIONS = 2500;
const POST_FRAMES = 7500;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test(`fuzzing the worker port (seed ${seed})`, async (t) => {
  const r = rng(seed);
  const t0 = performance.now();
  const phase = (name) => t.diagnostic(`${name} at ${Math.round(performance.now() - t0)} ms`);
  const w = await startWorkerProcess({ secret, name: 'fuzzed', mode: ['--port', '0'] });
  cleanups.push(() => killHard(w.child));

  // Before authentication, while a real master's map runs through the same worker.
  const pool = await connectWorkers([`127.0.0.1:${w.port}`], { secret, audit: { to: 'none' } });
  // A failed assertion must not leave the pool's link keeping the test process alive.
  cleanups.push(() => disconnectWorkers(pool));
  const n = 3000;
  const mapping = parallelMap(
    pool,
    form((x) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      return x * 7;
    }),
    Array.from({ length: n }, (_, i) => i),
  );
  const refusedBefore = w.out.accounted('refused', 'peer');
  const pre = await fuzzBeforeAuth(w.port, r, PRE_CONNECTIONS);
  phase('pre-auth fuzz done');
  const raw = await fuzzRawTcp(w.port, r, 200);
  phase('raw TCP done');
  assert.deepEqual(
    await mapping,
    Array.from({ length: n }, (_, i) => i * 7),
    'the real session completed correctly',
  );
  await until(() => w.out.accounted('refused', 'peer') - refusedBefore >= PRE_CONNECTIONS, {
    timeoutMs: 20_000,
    what: 'a refusal audited for every fuzz connection',
  });
  assert.equal(
    w.out.accounted('refused', 'peer') - refusedBefore,
    PRE_CONNECTIONS,
    'one audit entry per refused connection, written or counted in a summary of a flood',
  );
  for (const code of pre.closes.keys()) assert.ok([4001, 4003, 1009].includes(code), `closed with ${code}`);
  assert.equal(raw, 200, 'every non-HTTP connection got 400');
  await until(() => w.out.accounted('bad-frame', 'peer') >= 200, { what: 'an entry for every non-HTTP connection' });
  assert.equal(w.out.accounted('bad-frame', 'peer'), 200);
  assert.ok(w.out.count(/bad-frame peer=.*not an HTTP upgrade/) > 0, 'the reason is written');
  await disconnectWorkers(pool);
  phase('real map done');

  // After authentication, as the worker's master, with real tasks among the fuzz.
  const c = await authenticate(w.port, secret, 'master');
  const frames = postAuthFrames(r, masterCorpus(), POST_FRAMES);
  const shapes = shapeFrames(masterMessages(), MASTER_TAGS);
  for (const f of shapes) frames.splice(r.int(frames.length), 0, f);
  const expected = new Map();
  for (let k = 0; k < 100; k++) {
    const id = 2_000_000_000 + k;
    expected.set(id, k * 3);
    frames.splice(r.int(frames.length), 0, {
      text: false,
      real: true,
      data: codec.encodeFrame({
        t: 'tasks',
        forms: [{ id, mode: 'value', code: `${k} * 3`, filename: 'real.js', line: 1, column: 1, cache: false }],
        tasks: [{ id, form: id }],
      }),
    });
  }
  const answers = new Map();
  const badBefore = w.out.count(/ bad-frame master=/);
  const { verdicts, errors } = await fuzzAfterAuth(c, frames, (m) => {
    if (m.t !== 'results') return;
    for (const res of m.results)
      if (expected.has(res.id))
        answers.set(
          res.id,
          (answers.get(res.id) ?? []).concat(res.ok ? codec.decodeValue(res.value) : res.error.message),
        );
  });
  phase('post-auth fuzz done');
  assert.deepEqual(errors, []);
  const bad = refusedFrames(verdicts);
  frames.forEach((f, k) => f.real && assert.equal(verdicts[k].bad, false, 'a real task frame was accepted'));
  await until(() => answers.size === expected.size, { timeoutMs: 20_000, what: 'answers to every real task' });
  for (const [id, want] of expected) assert.deepEqual(answers.get(id), [want], `task ${id} answered once, correctly`);
  await until(() => w.out.count(/ bad-frame master=/) - badBefore >= bad.length, {
    timeoutMs: 10_000,
    what: 'audit entries',
  });
  assert.equal(w.out.count(/ bad-frame master=/) - badBefore, bad.length, 'one audit entry per bad frame');
  assert.ok(bad.length > POST_FRAMES / 2, `${bad.length} frames were bad`);
  c.ws.close();

  assert.equal(w.child.exitCode, null, 'the worker process is alive');
  const again = await connectWorkers([`127.0.0.1:${w.port}`], { secret, audit: { to: 'none' } });
  assert.equal(await evalOn(again, null, '40 + 2'), 42);
  await disconnectWorkers(again);
  const total = pre.frames + frames.length;
  assert.ok(total >= 10_000, `${total} frames`);
  record({
    row: 'fuzz-worker',
    lost: 0,
    duplicated: 0,
    note:
      `seed ${seed}: ${PRE_CONNECTIONS} connections before auth (${pre.frames} ` +
      `frames sent, each link closed at its first), 200 raw TCP, ${frames.length} ` +
      `after, ${shapes.length} of them structure-aware (${bad.length} bad, ` +
      `each answered and audited; ${w.out.count(/broke its handler/)} broke a ` +
      `handler and were caught); real map of ${n} and 100 real tasks correct`,
  });
});
