// `crew lsp` serving the trace dialog: a function traced by name reports the calls a map makes
// on both workers (arguments, result or error, duration), a worker that joins later is traced
// too once it has run its setup forms, a flood of calls is recorded only in part and the rest
// counted, and untracing puts the original function back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { Inbox, rejection, startServer } from './lsp-client.mjs';

let s;
let P;
let T;
const calls = new Inbox();
/** Each notification, for waits on what they add up to. */
const notes = new Inbox();
const dropped = new Map();
before(async () => {
  s = await startServer();
  P = s.P;
  T = await loadSource('protocol/messages/lsp-trace-messages.ts');
  s.connection.onNotification(T.TraceCalls.type, (n) => {
    for (const c of n.calls) calls.push(c);
    for (const d of n.dropped) dropped.set(d.worker, (dropped.get(d.worker) ?? 0) + d.count);
    notes.push(n);
  });
  const r = await s.request(P.ConnectWorkers.type, { local: 2 });
  assert.deepEqual(r.errors, []);
  // Replayed, as a loaded file is, so that a worker joining later has it too.
  await s.request(P.EvalAllWorkers.type, {
    code: `globalThis.crewSq = function crewSq(x) { if (x === 13) throw new Error('unlucky ' + x); return x * x };
globalThis.crewSqOriginal = crewSq`,
    replay: true,
  });
});
after(async () => {
  await s?.stop();
});

const sameAsOriginal = async () =>
  (await s.request(P.EvalAllWorkers.type, { code: 'crewSq === crewSqOriginal' })).outcomes.map((o) => o.value);

test('a traced function reports the calls a map makes on both workers', async () => {
  const r = await s.request(T.TraceFunction.type, { name: 'crewSq' });
  assert.deepEqual(r, { traced: ['w1', 'w2'], queued: [], failed: [] });
  assert.deepEqual(await sameAsOriginal(), ['false', 'false']);
  // Each task takes a while, so that both workers take some.
  const map = await s.request(P.EvalMaster.type, {
    code:
      'await parallelMap(pool, (x) => `const t = Date.now(); while (Date.now() - t < 25); crewSq(${x})`, ' +
      '[1, 2, 3, 4, 5, 6, 7, 8])',
  });
  assert.equal(map.outcomes[0].value, '[\n   1,  4,  9, 16,\n  25, 36, 49, 64\n]');
  for (const worker of ['w1', 'w2'])
    await calls.next((c) => c.worker === worker && c.name === 'crewSq', `a call on ${worker}`);
  const three = await calls.next((c) => c.args === '3', 'the call crewSq(3)');
  assert.deepEqual([three.name, three.ok, three.value], ['crewSq', true, '9']);
  assert.ok(three.ms >= 0 && three.at > 0);
  await s.request(P.EvalOn.type, { code: 'try { crewSq(13) } catch {}', worker: 'w2' });
  const failed = await calls.next((c) => c.args === '13', 'the call crewSq(13)');
  assert.deepEqual([failed.worker, failed.ok], ['w2', false]);
  assert.match(failed.value, /Error: unlucky 13/);
});

test('a worker that joins later is traced once its setup forms have run', async () => {
  s.workers.clear();
  await s.request(P.ConnectWorkers.type, { local: 1 });
  await s.workers.next((st) => st.workers.some((w) => w.id === 'w3' && w.state === 'ready'), 'w3 to be ready');
  // The trace is sent when w3 is ready; a call a moment later may come before it is applied.
  let seen;
  for (let x = 100; !seen && x < 150; x++) {
    await s.request(P.EvalOn.type, { code: `crewSq(${x})`, worker: 'w3' });
    seen = calls.items.find((c) => c.worker === 'w3');
    if (!seen) seen = await calls.next((c) => c.worker === 'w3', 'a call on w3', 200).catch(() => undefined);
  }
  assert.equal(seen?.name, 'crewSq', 'w3 reports calls');
});

test('a flood of calls is recorded in part, and the rest counted', async () => {
  calls.clear();
  await s.request(P.EvalOn.type, { code: 'for (let i = 0; i < 10000; i++) crewSq(i % 10)', worker: 'w1' });
  const recordedOnW1 = () => calls.items.filter((c) => c.worker === 'w1').length;
  const total = () => recordedOnW1() + (dropped.get('w1') ?? 0);
  await notes.next(() => total() >= 10000, 'every call recorded or counted').catch(() => {});
  const recorded = recordedOnW1();
  assert.ok(recorded <= 400, `at most a few hundred recorded, got ${recorded}`);
  assert.equal(total(), 10000);
});

test("a worker's fresh eval thread, after an interrupt, is traced again", async () => {
  s.workers.clear();
  const loop = s.request(P.EvalOn.type, { code: 'while (true) {}', worker: 'w1' });
  await s.workers.next((st) => st.workers.some((w) => w.id === 'w1' && w.inFlight > 0), 'w1 to be busy');
  await s.request(P.Interrupt.type, { worker: 'w1' });
  assert.equal((await loop).outcomes[0].error?.code, 'CREW_INTERRUPTED');
  // The trace is applied once the fresh thread listens: a call in the moment before may go untraced.
  calls.clear();
  let call;
  for (let x = 70; !call && x < 120; x++) {
    await s.request(P.EvalOn.type, { code: `crewSq(${x})`, worker: 'w1' });
    call = await calls.next((c) => c.worker === 'w1', 'a call on w1', 200).catch(() => undefined);
  }
  assert.equal(call?.ok, true, 'w1 reports calls again');
  assert.equal(call.value, String(Number(call.args) ** 2));
});

test('untracing puts the original back on every worker', async () => {
  const r = await s.request(T.UntraceFunction.type, { name: 'crewSq' });
  assert.deepEqual(r.untraced.sort(), ['w1', 'w2', 'w3']);
  assert.deepEqual(await sameAsOriginal(), ['true', 'true', 'true']);
});

test('a name that is not a function, or not a name, is refused', async () => {
  await s.request(P.EvalAllWorkers.type, { code: 'globalThis.crewNotFn = 3' });
  const r = await s.request(T.TraceFunction.type, { name: 'crewNotFn' });
  assert.deepEqual(r.traced, []);
  assert.deepEqual(
    r.failed.map((f) => f.worker),
    ['w1', 'w2', 'w3'],
  );
  assert.match(r.failed[0].message, /crewNotFn is not a function here/);
  const bad = await rejection(s.request(T.TraceFunction.type, { name: 'crewSq()' }));
  assert.equal(bad.data.code, 'CREW_BAD_ARGUMENT');
  assert.match(bad.message, /name must be a function's name or a path to it/);
  await s.request(T.UntraceFunction.type, { name: 'crewNotFn' });
});
