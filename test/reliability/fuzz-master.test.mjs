// Fuzzing the master's listening port with >= 10,000 random and mutated frames, before and
// after authentication, while a real map on real workers completes correctly.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { disconnectWorkers, evalFormAllWorkers, form, parallelMap, startMaster } from 'crew';
import { auditTrail, newSecret, record, until } from './helpers.mjs';
import { authenticate, frame, send } from './wire.mjs';
import {
  fuzzAfterAuth,
  fuzzBeforeAuth,
  fuzzRawTcp,
  postAuthFrames,
  refusedFrames,
  rng,
  shapeFrames,
  workerCorpus,
  workerMessages,
} from './fuzz-lib.mjs';

/* global k -- functions sent with form() run on the workers, where a setup form defines it */

const WORKER_TAGS = [
  'agent',
  'ready',
  'results',
  'output',
  'evalThreadRestarted',
  'protocolError',
  'debugPaused',
  'debugResumed',
  'debugResponse',
  'cdpMessage',
  'cdpClose',
];

const secret = newSecret();
const seed = Number(process.env.CREW_FUZZ_SEED ?? Date.now() % 2 ** 31);
const PRE_CONNECTIONS = 2500;
const POST_FRAMES = 7600;
let pool;
after(() => disconnectWorkers(pool));

test(`fuzzing the master port (seed ${seed})`, async (t) => {
  const r = rng(seed);
  const t0 = performance.now();
  const phase = (name) => t.diagnostic(`${name} at ${Math.round(performance.now() - t0)} ms`);
  const audit = auditTrail();
  const outputs = [];
  pool = await startMaster({
    local: 2,
    secret,
    audit: audit.options,
    onOutput: (w, s, text) => outputs.push([w, text]),
  });
  // A form every joining worker must run first: a fuzzer that joins never finishes it, so
  // it is never given the real map's tasks.
  await evalFormAllWorkers(pool, 'globalThis.k = 7');
  const port = pool.listenAddress.port;
  const n = 6000;
  const mapping = parallelMap(
    pool,
    form((x) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      return x * k;
    }),
    Array.from({ length: n }, (_, i) => i),
  );

  const refusedBefore = audit.lines.accounted('refused', 'peer');
  const pre = await fuzzBeforeAuth(port, r, PRE_CONNECTIONS);
  phase('pre-auth fuzz done');
  const raw = await fuzzRawTcp(port, r, 200);
  phase('raw TCP done');
  await until(() => audit.lines.accounted('refused', 'peer') - refusedBefore >= PRE_CONNECTIONS, {
    timeoutMs: 20_000,
    what: 'a refusal audited for every fuzz connection',
  });
  assert.equal(
    audit.lines.accounted('refused', 'peer') - refusedBefore,
    PRE_CONNECTIONS,
    'one audit entry per refused connection, written or counted in a summary of a flood',
  );
  for (const code of pre.closes.keys()) assert.ok([4001, 4003, 1009].includes(code), `closed with ${code}`);
  assert.equal(raw, 200);

  // After authentication, as a worker that has said it is ready.
  const c = await authenticate(port, secret, 'worker');
  send(c, frame({ t: 'ready', info: { name: 'fuzzer', host: 'fuzz', pid: 0, node: 'v0' } }));
  const joined = await audit.lines.waitFor(/ connect worker=w\d+ name=fuzzer /);
  const id = /worker=(w\d+)/.exec(joined.text)[1];
  const frames = postAuthFrames(r, workerCorpus(), POST_FRAMES);
  const shapes = shapeFrames(workerMessages(), WORKER_TAGS);
  for (const f of shapes) frames.splice(r.int(frames.length), 0, f);
  const badBefore = audit.lines.count(new RegExp(` bad-frame worker=${id} `));
  let replayTask;
  const { verdicts: v1, errors } = await fuzzAfterAuth(c, frames, (m) => {
    if (m.t === 'tasks' && m.tasks.length > 0) replayTask ??= m.tasks[0].id;
  });
  // Last, malformed results for the task the master really has in flight on this link: these
  // reach the scheduler's code that settles tasks.
  assert.ok(replayTask, 'the fuzzer was sent the replay task');
  const aimed = shapeFrames(
    workerMessages()
      .filter((m) => m.t === 'results')
      .map((m) => ({ ...m, results: m.results.map((x) => ({ ...x, id: replayTask })) })),
    [],
  );
  const { verdicts: v2 } = await fuzzAfterAuth(c, aimed, () => {});
  frames.push(...aimed);
  const verdicts = [...v1, ...v2];
  phase('post-auth fuzz done');
  assert.deepEqual(errors, []);
  const bad = refusedFrames(verdicts);
  assert.equal(
    audit.lines.count(new RegExp(` bad-frame worker=${id} `)) - badBefore,
    bad.length,
    'one audit entry per bad frame',
  );
  assert.ok(bad.length > POST_FRAMES / 2, `${bad.length} frames were bad`);
  c.ws.close();
  await c.closed;
  await audit.lines.waitFor(new RegExp(` disconnect worker=${id} `));

  assert.deepEqual(
    await mapping,
    Array.from({ length: n }, (_, i) => i * 7),
    'the real map completed correctly',
  );
  phase('real map done');
  assert.equal(pool.size, 2, 'both real workers are still there');
  assert.deepEqual(
    await parallelMap(
      pool,
      form((x) => x + k),
      [1, 2],
    ),
    [8, 9],
  );
  const total = PRE_CONNECTIONS + frames.length;
  assert.ok(total >= 10_000, `${total} frames judged`);
  record({
    row: 'fuzz-master',
    lost: 0,
    duplicated: 0,
    note:
      `seed ${seed}: ${PRE_CONNECTIONS} connections before auth (${pre.frames} ` +
      `frames sent, each link closed at its first), 200 raw TCP, ${frames.length} ` +
      `after, ${shapes.length + aimed.length} of them structure-aware (${bad.length} ` +
      `bad, each answered and audited; ${audit.lines.count(/broke its handler/)} ` +
      `broke a handler and were caught); real map of ${n} correct`,
  });
});
