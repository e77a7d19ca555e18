// The messages behind the cluster view and a notebook's cells, over `crew lsp --stdio` with
// two local workers: the once-a-second cluster samples (tasks per worker, throughput, queue,
// each worker's CPU and memory), the pool's progress while code on the master maps, and the
// JSON view of plain values, and an interrupted %%all cell that must not run again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { loadSource, within } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { Inbox, rejection, startServer, stderrOf } from './lsp-client.mjs';

let s;
let P;
let C;
const samples = new Inbox();
const tasks = new Inbox();
before(async () => {
  s = await startServer();
  P = s.P;
  C = await loadSource('protocol/messages/lsp-cluster-messages.ts');
  s.connection.onNotification(C.ClusterSampleNote.type, (x) => samples.push(x));
  s.connection.onNotification(P.TaskProgress.type, (x) => tasks.push(x));
  const r = await s.request(P.ConnectWorkers.type, { local: 2 });
  assert.deepEqual(r.errors, []);
});
after(async () => {
  await s?.stop();
});

// About 20 ms of work per element on a worker, so a map of 150 lasts a second and a half on two.
const busyMap = `await parallelMap(pool, (x) => \`const t = Date.now(); while (Date.now() - t < 20); \${x} * 2\`,
  Array.from({ length: 150 }, (_, i) => i))`;

test('watchCluster names a bad "watch"', { timeout: scaled(30_000) }, async () => {
  const err = await rejection(s.request(C.WatchCluster.type, { watch: 'yes' }));
  assert.equal(err.code, P.LspErrorCodes.InvalidParams);
  assert.match(err.message, /crew\/watchCluster: "watch" must be true or false, got "yes"/);
  assert.equal(err.data.code, 'CREW_BAD_ARGUMENT');
});

test(
  'a watching editor gets a sample each second: tasks per worker, throughput, queue, CPU and memory',
  { timeout: scaled(90_000) },
  async () => {
    const history = await s.request(C.WatchCluster.type, { watch: true });
    assert.equal(history.everyMs, 1000);
    assert.ok(Array.isArray(history.samples));
    const first = await samples.next((x) => x.workers.length === 2, 'a sample with both workers', 30_000);
    assert.deepEqual(
      first.workers.map((w) => w.id),
      ['w1', 'w2'],
    );
    const mapped = s.request(P.EvalMaster.type, { code: busyMap, progressToken: 'map' });
    const busy = await samples.next(
      (x) => x.tasks > 0 && x.workers.every((w) => w.tasks > 0 && w.busyMs > 0),
      'a sample in which both workers finished tasks',
      60_000,
    );
    assert.equal(busy.throughput, Math.round((busy.tasks * 1000) / busy.ms));
    assert.ok(busy.queued >= 0 && busy.inFlight >= 0);
    // From the map on: a sample from before it would show an idle worker's start-up CPU.
    const loaded = await samples.next(
      (x) => x.at >= busy.at && x.workers.every((w) => typeof w.cpu === 'number' && w.rssBytes > 10e6),
      'a sample with each worker’s reported CPU and memory',
      30_000,
    );
    assert.ok(
      loaded.workers.some((w) => w.cpu > 0),
      'a worker that computed used CPU',
    );
    assert.equal((await mapped).outcomes[0].ok, true);
    // Every sample is one interval's counts: the map's 150 tasks are spread over them, never more.
    const counted = samples.items.reduce((n, x) => n + x.tasks, 0);
    assert.ok(counted <= 150 + 10, `samples counted ${counted} tasks`);
    const again = await s.request(C.WatchCluster.type, { watch: true });
    assert.ok(again.samples.length >= 2, 'the history holds the samples sent so far');
    await s.request(C.WatchCluster.type, { watch: false });
  },
);

test(
  'a map run by code on the master reports the pool’s progress under its token',
  { timeout: scaled(90_000) },
  async () => {
    const r = await s.request(P.EvalMaster.type, { code: busyMap, progressToken: 'map-2' });
    assert.equal(r.outcomes[0].ok, true);
    const p = await tasks.next((x) => x.token === 'map-2', 'task progress for map-2', 5000);
    assert.ok(p.total >= 2 && p.done <= p.total && p.workers === 2, JSON.stringify(p));
    const mid = tasks.items.filter((x) => x.token === 'map-2');
    assert.ok(
      mid.some((x) => x.done < x.total),
      'progress arrives while the map runs',
    );
  },
);

test('plain objects and arrays come with a JSON view; other values do not', { timeout: scaled(60_000) }, async () => {
  const obj = await s.request(P.EvalMaster.type, { code: '({ a: 1, b: [2, "x"], c: { d: null } })' });
  assert.equal(obj.outcomes[0].json, '{"a":1,"b":[2,"x"],"c":{"d":null}}');
  for (const code of ['42', 'new Map([[1, 2]])', '({ n: 1n })', 'const o = { }; o.o = o; o', 'new Date(0)']) {
    const r = await s.request(P.EvalMaster.type, { code });
    assert.equal(r.outcomes[0].json, undefined, code);
  }
  const all = await s.request(P.EvalAllWorkers.type, { code: '[process.pid > 0, { ok: true }]' });
  assert.deepEqual(
    all.outcomes.map((o) => o.json),
    ['[true,{"ok":true}]', '[true,{"ok":true}]'],
  );
});

test(
  'a replayed form interrupted on every worker (a looping %%all cell) is not run again, there or on a later worker',
  { timeout: scaled(240_000) },
  async () => {
    const cancel = new CancellationTokenSource();
    // Not a notice from the map before: this loop must be running when it is cancelled.
    s.workers.clear();
    const loop = s.request(P.EvalAllWorkers.type, { code: 'while (true) {}', replay: true }, cancel.token);
    await s.workers.next(
      (x) => x.workers.filter((w) => w.inFlight > 0).length === 2,
      'both workers running the loop',
      30_000,
    );
    cancel.cancel();
    const err = await within(rejection(loop), 'the cancelled loop', { ms: 30_000, explain: stderrOf(s) });
    assert.equal(err.code, P.LspErrorCodes.RequestCancelled);
    const after = await within(s.request(P.EvalAllWorkers.type, { code: '6 * 7' }), '6 * 7 on both workers', {
      ms: 60_000,
      explain: stderrOf(s),
    });
    assert.deepEqual(
      after.outcomes.map((o) => o.value),
      ['42', '42'],
      'the fresh eval threads took the next form',
    );
    const joined = await within(s.request(P.ConnectWorkers.type, { local: 1 }), 'a third worker joining', {
      ms: 60_000,
      explain: stderrOf(s),
    });
    assert.deepEqual(joined.errors, []);
    const third = joined.workers.find((w) => w.id === 'w3');
    assert.ok(third, 'a third worker joined');
    const r = await within(s.request(P.EvalOn.type, { code: '7 * 6', worker: 'w3' }), '7 * 6 on w3', {
      ms: 60_000,
      explain: stderrOf(s),
    });
    assert.equal(r.outcomes[0].value, '42', 'the worker that joined later did not replay the loop');
  },
);
