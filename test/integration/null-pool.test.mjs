// Swank Crew's API against a null pool: everything evaluates on the master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evalFormAllWorkers,
  evalFormRepeatedly,
  evalOn,
  evalRepeatedlyAsyncState,
  form,
  parallelMap,
  parallelReduce,
  RemoteError,
} from 'crew';

test('evalFormAllWorkers on a null pool evaluates once, on the master', async () => {
  const seen = [];
  const results = await evalFormAllWorkers(null, 'var nullPoolDefined = 41; nullPoolDefined + 1', {
    resultDone: (w, r) => seen.push([w, r]),
  });
  assert.deepEqual(results, [42]);
  assert.deepEqual(seen, [['master', 42]]);
  assert.equal(await evalOn(null, null, 'nullPoolDefined'), 41, 'definitions persist in the master image');
});

test('evalFormRepeatedly on a null pool returns exactly resultCount results', async () => {
  for (const n of [0, 10, 20, 30]) {
    const r = await evalFormRepeatedly(null, n, '(() => { let i = 0; return () => ++i })()');
    assert.equal(r.length, n);
    assert.deepEqual(
      r,
      Array.from({ length: n }, (_, i) => i + 1),
    );
  }
});

test('parallelMap on a null pool keeps input order and calls resultDone', async () => {
  const done = [];
  const r = await parallelMap(
    null,
    (x) => `${x} * ${x}`,
    [1, 2, 3],
    (i, v) => done.push([i, v]),
  );
  assert.deepEqual(r, [1, 4, 9]);
  assert.deepEqual(done, [
    [0, 1],
    [1, 4],
    [2, 9],
  ]);
  assert.deepEqual(
    await parallelMap(
      null,
      form((x) => x + 1),
      [1, 2],
    ),
    [2, 3],
  );
});

test('parallelReduce on a null pool equals a sequential reduce with a non-commutative reducer', async () => {
  const list = ['a', 'b', 'c', 'd', 'e'];
  const r = await parallelReduce(
    null,
    (x) => JSON.stringify(x),
    list,
    '',
    (acc, s) => acc + s,
  );
  assert.equal(r, 'abcde');
});

test('evalRepeatedlyAsyncState on a null pool runs until updateState says done', async () => {
  const batches = [];
  const final = await evalRepeatedlyAsyncState(null, '(s) => s + 1', 0, (state, results) => {
    batches.push(results);
    const next = Math.max(state, ...results);
    return [next, next >= 5, true];
  });
  assert.equal(final, 5);
  assert.deepEqual(batches, [[1], [2], [3], [4], [5]], 'on the master each call gets an array of one result');
});

test('errors on a null pool are RemoteErrors from the master with mapped frames', async () => {
  await assert.rejects(
    evalOn(null, null, {
      code: 'function boom(x: number) {\n  throw new TypeError("no " + x);\n}\nboom(1)',
      filename: '/src/app.ts',
      line: 20,
    }),
    (err) => {
      assert.ok(err instanceof RemoteError);
      assert.equal(err.workerId, 'master');
      assert.equal(err.remoteName, 'TypeError');
      assert.equal(err.frames[0].file, '/src/app.ts');
      assert.equal(err.frames[0].line, 21);
      return true;
    },
  );
});
