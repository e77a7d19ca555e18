// `crew lsp --stdio` with two local workers: evaluation on the master, on all workers and
// on one worker, progress, replay to later workers, and errors placed in the editor's file.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rejection, startServer } from './lsp-client.mjs';
import { scaled } from '../time-scale.mjs';

let s;
let P;
before(async () => {
  s = await startServer();
  P = s.P;
  const r = await s.request(P.ConnectWorkers.type, { local: 2 });
  assert.deepEqual(r.errors, []);
  assert.equal(r.workers.length, 2);
});
after(async () => {
  await s?.stop();
});

test(
  'the master evaluates with the pool and the API in scope, top-level await included',
  { timeout: scaled(60_000) },
  async () => {
    const r = await s.request(P.EvalMaster.type, { code: 'pool.size * 10 + 1' });
    assert.deepEqual(r, { where: 'master', outcomes: [{ worker: 'master', ok: true, value: '21', summary: '21' }] });
    const mapped = await s.request(P.EvalMaster.type, {
      code: 'await parallelMap(pool, (x) => `${x} * ${x}`, [1, 2, 3])',
    });
    assert.equal(mapped.outcomes[0].value, '[ 1, 4, 9 ]');
    await s.request(P.EvalMaster.type, { code: 'const kept = await Promise.resolve(41)' });
    assert.equal(
      (await s.request(P.EvalMaster.type, { code: 'kept + 1' })).outcomes[0].value,
      '42',
      'a REPL-style binding persists',
    );
  },
);

test('what the master prints reaches the editor as output of worker master', { timeout: scaled(60_000) }, async () => {
  await s.request(P.EvalMaster.type, { code: 'console.log("hello from the master")' });
  const o = await s.output.next(
    (x) => x.worker === 'master' && x.text.includes('hello from the master'),
    'master output',
  );
  assert.equal(o.stream, 'stdout');
});

test(
  'evaluation on all workers gives each worker its own value, with progress',
  { timeout: scaled(60_000) },
  async () => {
    const { workers } = await s.request(P.ListWorkers.type, {});
    const r = await s.request(P.EvalAllWorkers.type, {
      code: 'process.pid',
      filename: '/src/probe.ts',
      line: 3,
      column: 5,
      progressToken: 'pids',
    });
    assert.equal(r.where, 'workers');
    assert.deepEqual(
      r.outcomes.map((o) => o.worker),
      workers.map((w) => w.id),
    );
    for (const o of r.outcomes)
      assert.equal(o.value, String(workers.find((w) => w.id === o.worker).pid), `${o.worker} answers with its own pid`);
    const done = s.progress.items.filter((p) => p.token === 'pids');
    assert.deepEqual(
      done.map((p) => p.done),
      [1, 2],
    );
    assert.ok(done.every((p) => p.total === 2 && p.outcome.ok));
  },
);

test(
  'TypeScript forms run, and errors point at the editor file and line, per worker',
  { timeout: scaled(60_000) },
  async () => {
    const ok = await s.request(P.EvalAllWorkers.type, {
      code: 'const n: number = 6;\nn * 7',
      filename: '/src/t.ts',
      line: 1,
      column: 1,
    });
    assert.deepEqual(
      ok.outcomes.map((o) => o.value),
      ['42', '42'],
    );
    const r = await s.request(P.EvalAllWorkers.type, {
      code: '\n\n(null as any).x',
      filename: '/src/t.ts',
      line: 10,
      column: 1,
    });
    assert.equal(r.outcomes.length, 2);
    for (const o of r.outcomes) {
      assert.equal(o.ok, false);
      assert.equal(o.error.name, 'TypeError');
      assert.match(o.error.message, /reading 'x'/);
      assert.equal(o.error.frames[0].file, '/src/t.ts');
      assert.equal(o.error.frames[0].line, 12);
    }
    assert.deepEqual(r.outcomes.map((o) => o.worker).sort(), ['w1', 'w2']);
  },
);

test(
  'evaluation on one worker, by id, by null (any free worker) and on master',
  { timeout: scaled(60_000) },
  async () => {
    const { workers } = await s.request(P.ListWorkers.type, null);
    const w2 = workers.find((w) => w.id === 'w2');
    const r = await s.request(P.EvalOn.type, { code: 'process.pid', worker: 'w2' });
    assert.deepEqual(
      r.outcomes.map((o) => [o.worker, o.value]),
      [['w2', String(w2.pid)]],
    );
    const any = await s.request(P.EvalOn.type, { code: '1 + 1', worker: null });
    assert.match(any.outcomes[0].worker, /^w[12]$/);
    const m = await s.request(P.EvalOn.type, { code: 'typeof pool', worker: 'master' });
    assert.equal(m.where, 'master');
    assert.equal(m.outcomes[0].value, "'object'");
    const err = await rejection(s.request(P.EvalOn.type, { code: '1', worker: 'w9' }));
    assert.equal(err.code, P.LspErrorCodes.CrewFailure);
    assert.equal(err.data.code, 'CREW_UNKNOWN_WORKER');
    assert.match(err.message, /there is no worker w9; workers are w1, w2/);
  },
);

test('an evaluated file is replayed to a worker that joins later', { timeout: scaled(60_000) }, async () => {
  const file = await s.request(P.EvalAllWorkers.type, {
    code: 'function cube(x: number) { return x * x * x }',
    filename: '/src/lib.ts',
    replay: true,
  });
  assert.equal(file.outcomes.length, 2);
  const joined = await s.request(P.ConnectWorkers.type, { local: 1 });
  assert.deepEqual(joined.errors, []);
  assert.equal(joined.workers.length, 3);
  assert.ok(
    joined.workers.some((w) => w.name === 'local-3'),
    'new local workers are numbered after the first ones',
  );
  const r = await s.request(P.EvalAllWorkers.type, { code: 'cube(3)' });
  assert.deepEqual(
    r.outcomes.map((o) => o.value),
    ['27', '27', '27'],
  );
});

test('worker output is forwarded', { timeout: scaled(60_000) }, async () => {
  await s.request(P.EvalOn.type, { code: 'console.log("out of w1")', worker: 'w1' });
  const o = await s.output.next((x) => x.worker === 'w1' && x.text.includes('out of w1'), 'output from w1');
  assert.equal(o.stream, 'stdout');
});

test('the audit trail reaches the editor', { timeout: scaled(60_000) }, async () => {
  const line = await s.output.next((x) => x.stream === 'audit' && / connect worker=w1 /.test(x.text), 'an audit line');
  assert.match(line.text, /^\[A\] \S+ master connect worker=w1 name=local-\d/);
});

test('shutdown and exit end the server and its workers cleanly', { timeout: scaled(60_000) }, async () => {
  const { workers } = await s.request(P.ListWorkers.type, null);
  const result = await s.stop();
  assert.deepEqual(result, { code: 0, signal: null });
  for (const w of workers) assert.throws(() => process.kill(w.pid, 0), /ESRCH/, `worker process ${w.pid} is gone`);
  s = undefined;
});
