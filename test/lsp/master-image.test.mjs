// `crew lsp` as the editor sees it: the master has one image, so what "evaluate on master"
// defines a null pool sees, and prints to the editor; and a value a worker cannot send (a
// function) is shown as the worker prints it, inline and in notebooks, and counts as done.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from './lsp-client.mjs';

let s;
let P;
before(async () => {
  s = await startServer();
  P = s.P;
  const r = await s.request(P.ConnectWorkers.type, { local: 2 });
  assert.deepEqual(r.errors, []);
});
after(async () => {
  await s?.stop();
});

test('what "evaluate on master" defines, a null pool sees, and what it prints reaches the editor', async () => {
  await s.request(P.EvalMaster.type, { code: 'const imageK = 40' });
  const r = await s.request(P.EvalMaster.type, {
    code: `await evalFormAllWorkers(null, 'console.log("printed by a null pool"); imageK + 1')`,
  });
  assert.deepEqual(
    r.outcomes.map((o) => [o.worker, o.ok, o.value]),
    [['master', true, '[ 41 ]']],
  );
  const o = await s.output.next((x) => x.text.includes('printed by a null pool'), 'the null pool output');
  assert.deepEqual([o.worker, o.stream], ['master', 'stdout']);
  // The other way: what a null pool's form defines, the editor's evaluation on the master sees.
  await s.request(P.EvalMaster.type, { code: `await evalOn(null, null, 'var fromNullPool = imageK + 2')` });
  assert.equal((await s.request(P.EvalMaster.type, { code: 'fromNullPool' })).outcomes[0].value, '42');
});

test('a function a worker gives back is shown as the worker prints it, and counts as done', async () => {
  // "Evaluate on all workers" (a notebook's %%all cell too), with progress per worker.
  const all = await s.request(P.EvalAllWorkers.type, {
    code: 'globalThis.double = function double(x) { return 2 * x }',
    progressToken: 'fn',
  });
  assert.deepEqual(
    all.outcomes.map((o) => [o.ok, o.value, o.summary]),
    [
      [true, '[Function: double]', '[Function: double]'],
      [true, '[Function: double]', '[Function: double]'],
    ],
  );
  assert.ok(s.progress.items.filter((p) => p.token === 'fn').every((p) => p.outcome.ok));
  // "Evaluate on a worker" (a %%on cell), and a nested one: the value is printed whole.
  const one = await s.request(P.EvalOn.type, { code: '({ n: 1, f: double })', worker: 'w2' });
  assert.deepEqual(
    one.outcomes.map((o) => [o.worker, o.ok, o.value]),
    [['w2', true, '{ n: 1, f: [Function: double] }']],
  );
  // The API called from code on the master (a plain notebook cell) asks the same.
  const m = await s.request(P.EvalMaster.type, { code: `await evalFormAllWorkers(pool, 'double')` });
  assert.equal(m.outcomes[0].value, '[ [Function: double], [Function: double] ]');
  // The definition was made on every worker.
  const called = await s.request(P.EvalAllWorkers.type, { code: 'double(21)' });
  assert.deepEqual(
    called.outcomes.map((o) => o.value),
    ['42', '42'],
  );
});
