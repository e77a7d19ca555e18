// LSP cancellation of long evaluations, running or still waiting for a worker, and the
// workers-changed notification as workers join, leave and are disconnected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { loadSource, within } from '../helpers.mjs';
import { Inbox, rejection, startServer, stderrOf } from './lsp-client.mjs';
import { scaled } from '../time-scale.mjs';

let s;
let P;
let C;
const samples = new Inbox();
before(async () => {
  s = await startServer();
  P = s.P;
  C = await loadSource('protocol/messages/lsp-cluster-messages.ts');
  s.connection.onNotification(C.ClusterSampleNote.type, (x) => samples.push(x));
});
after(async () => {
  await s?.stop();
});

test('workers-changed arrives when the master starts its workers', { timeout: scaled(60_000) }, async () => {
  const connected = s.request(P.ConnectWorkers.type, { local: 2 });
  const state = await s.workers.next(
    (w) => w.started && w.workers.filter((x) => x.state === 'ready').length === 2,
    'two ready workers',
  );
  assert.match(state.listen, /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(state.workers.map((w) => w.id).sort(), ['w1', 'w2']);
  assert.ok(state.workers.every((w) => typeof w.pid === 'number' && w.host && /^local-\d$/.test(w.name)));
  await connected;
});

test('cancelling an endless evaluation interrupts the workers running it', { timeout: scaled(60_000) }, async () => {
  await s.request(P.EvalAllWorkers.type, { code: 'globalThis.before = "kept"', replay: true });
  const source = new CancellationTokenSource();
  s.workers.clear();
  const running = s.request(P.EvalAllWorkers.type, { code: 'while (true) {}', progressToken: 'loop' }, source.token);
  // Cancel once both workers are busy with it.
  await s.workers.next((w) => w.workers.length === 2 && w.workers.every((x) => x.inFlight > 0), 'both workers busy');
  source.cancel();
  const err = await rejection(running);
  assert.equal(err.code, P.LspErrorCodes.RequestCancelled);
  assert.match(err.message, /evaluation cancelled: interrupted w[12], w[12]/);
  // The workers are usable again, with their replayed setup.
  const after = await s.request(P.EvalAllWorkers.type, { code: 'before + "!"' });
  assert.deepEqual(
    after.outcomes.map((o) => o.value),
    ["'kept!'", "'kept!'"],
  );
});

test('cancelling an evaluation on one worker interrupts only that worker', { timeout: scaled(60_000) }, async () => {
  const source = new CancellationTokenSource();
  s.workers.clear();
  const slow = s.request(P.EvalOn.type, { code: 'while (true) {}', worker: 'w2' }, source.token);
  await s.workers.next((w) => w.workers.find((x) => x.id === 'w2')?.inFlight > 0, 'w2 busy');
  source.cancel();
  const err = await rejection(slow);
  assert.equal(err.code, P.LspErrorCodes.RequestCancelled);
  assert.match(err.message, /interrupted w2$/);
});

test(
  'an evaluation cancelled while it waits for a busy worker is never sent',
  { timeout: scaled(90_000) },
  async () => {
    // After a slow task each worker takes one task at a time, so with both looping a third waits.
    await s.request(P.EvalAllWorkers.type, { code: 'await new Promise((r) => setTimeout(r, 300))' });
    s.workers.clear();
    const loops = ['w1', 'w2'].map((worker) => s.request(P.EvalOn.type, { code: 'while (true) {}', worker }));
    await s.workers.next((w) => w.workers.every((x) => x.inFlight > 0), 'both workers looping');
    const source = new CancellationTokenSource();
    const waiting = s.request(P.EvalOn.type, { code: 'globalThis.ran = true', worker: null }, source.token);
    samples.clear();
    await s.request(C.WatchCluster.type, { watch: true });
    await samples.next((x) => x.queued > 0, 'a sample with the call waiting on the master');
    source.cancel();
    const err = await within(rejection(waiting), 'the cancelled call to answer', { explain: stderrOf(s) });
    assert.equal(err.code, P.LspErrorCodes.RequestCancelled);
    assert.match(err.message, /evaluation cancelled: nothing was running/);
    await s.request(C.WatchCluster.type, { watch: false });
    assert.deepEqual((await s.request(P.Interrupt.type, {})).interrupted.sort(), ['w1', 'w2']);
    for (const r of await Promise.all(loops)) assert.equal(r.outcomes[0].error.code, 'CREW_INTERRUPTED');
    const ran = await s.request(P.EvalAllWorkers.type, { code: 'typeof ran' });
    assert.deepEqual(
      ran.outcomes.map((o) => o.value),
      ["'undefined'", "'undefined'"],
      'the cancelled call never ran',
    );
  },
);

test(
  'the Interrupt request stops what a worker runs; its task fails with CREW_INTERRUPTED',
  { timeout: scaled(60_000) },
  async () => {
    s.workers.clear();
    const slow = s.request(P.EvalOn.type, { code: 'while (true) {}', worker: 'w1' });
    await s.workers.next((w) => w.workers.find((x) => x.id === 'w1')?.inFlight > 0, 'w1 busy');
    assert.deepEqual(await s.request(P.Interrupt.type, { worker: 'w1' }), { interrupted: ['w1'] });
    const r = await slow;
    assert.equal(r.outcomes[0].ok, false);
    assert.equal(r.outcomes[0].error.code, 'CREW_INTERRUPTED');
    assert.deepEqual(await s.request(P.Interrupt.type, {}), { interrupted: [] }, 'nothing busy, nothing interrupted');
  },
);

test('a cancelled evaluation on the master answers at once', { timeout: scaled(60_000) }, async () => {
  const source = new CancellationTokenSource();
  const code = 'console.log("evaluating"); await new Promise((r) => setTimeout(r, 1500))';
  const slow = s.request(P.EvalMaster.type, { code }, source.token);
  await s.output.next((o) => o.worker === 'master' && /evaluating/.test(o.text), 'the evaluation to start');
  source.cancel();
  const err = await rejection(slow);
  assert.equal(err.code, P.LspErrorCodes.RequestCancelled);
  assert.match(err.message, /master/);
});

test('workers-changed tells when a worker process dies', { timeout: scaled(60_000) }, async () => {
  const { workers } = await s.request(P.ListWorkers.type, null);
  s.workers.clear();
  process.kill(workers.find((w) => w.id === 'w2').pid, 'SIGKILL');
  const state = await s.workers.next((w) => !w.workers.some((x) => x.id === 'w2'), 'w2 gone');
  assert.deepEqual(
    state.workers.map((w) => w.id),
    ['w1'],
  );
  const audit = await s.output.next(
    (o) => o.stream === 'audit' && /disconnect worker=w2/.test(o.text),
    'the audit line for w2',
  );
  assert.ok(audit);
});

test(
  'disconnecting closes the pool, and evaluation falls back to the master',
  { timeout: scaled(60_000) },
  async () => {
    s.workers.clear();
    const state = await s.request(P.DisconnectWorkers.type, null);
    assert.deepEqual(state, { started: false, workers: [] });
    await s.workers.next((w) => !w.started, 'the stopped state');
    const r = await s.request(P.EvalAllWorkers.type, { code: '2 + 2' });
    assert.equal(r.where, 'master');
    assert.deepEqual(r.outcomes, [{ worker: 'master', ok: true, value: '4', summary: '4' }]);
    const err = await rejection(s.request(P.EvalOn.type, { code: '1', worker: 'w1' }));
    assert.equal(err.data.code, 'CREW_UNKNOWN_WORKER');
  },
);

test('a new pool can be started after a disconnect', { timeout: scaled(60_000) }, async () => {
  const r = await s.request(P.ConnectWorkers.type, { local: 1 });
  assert.deepEqual(r.errors, []);
  assert.equal(r.workers.length, 1);
  assert.equal(r.workers[0].name, 'local-1');
});
