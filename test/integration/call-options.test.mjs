// Options of the API calls: checked on the master with CREW_BAD_ARGUMENT before anything runs,
// taken by parallelReduce, and accepted by parallelMap where its callback may stand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  connectWorkers,
  ErrorCodes,
  evalFormAllWorkers,
  evalFormRepeatedly,
  evalOn,
  parallel,
  parallelMap,
  parallelReduce,
  runTask,
  startMaster,
} from 'crew';
import { sharedPool } from '../helpers.mjs';

const shared = sharedPool(2);

const badTimeout = (got) => (err) =>
  err.code === ErrorCodes.BadArgument &&
  err.message.includes(`timeoutMs must be a whole number`) &&
  err.message.includes(got);

test('a timeoutMs that is not a whole number of ms fails at once on the master, on a pool and on null', async () => {
  for (const pool of [shared.pool, null]) {
    for (const [timeoutMs, got] of [
      ['abc', '"abc"'],
      [-5, '-5'],
      [1.5, '1.5'],
      [Infinity, 'Infinity'],
    ]) {
      const opts = { timeoutMs };
      // Before, 'abc' never settled and -5 came back as a RangeError from a worker.
      await assert.rejects(evalOn(pool, null, '1', opts), badTimeout(got));
      await assert.rejects(evalFormAllWorkers(pool, '1', opts), badTimeout(got));
      await assert.rejects(
        parallelMap(pool, () => '1', [1], undefined, opts),
        badTimeout(got),
      );
      await assert.rejects(
        parallelMap(pool, () => '1', [1], opts),
        badTimeout(got),
      );
      await assert.rejects(
        parallelReduce(
          pool,
          () => '1',
          [1],
          0,
          (a) => a,
          opts,
        ),
        badTimeout(got),
      );
      await assert.rejects(runTask(pool, '1', opts), badTimeout(got));
      await assert.rejects(parallel(pool, ['1'], opts), badTimeout(got));
      await assert.rejects(evalFormRepeatedly(pool, 1, '() => 1', opts), badTimeout(got));
    }
  }
  assert.equal(await evalOn(shared.pool, null, '6 * 7', { timeoutMs: 5000 }), 42, 'a good timeout still works');
});

test('parallelReduce takes options: its timeoutMs ends a task that runs too long', async () => {
  const slow = () => 'new Promise((r) => setTimeout(() => r(1), 30000))';
  await assert.rejects(
    parallelReduce(shared.pool, slow, [1], 0, (a, b) => a + b, { timeoutMs: 200 }),
    (err) => err.code === ErrorCodes.Timeout,
  );
  assert.equal(
    await parallelReduce(
      shared.pool,
      (x) => `${x} * 2`,
      [1, 2, 3],
      '',
      (a, b) => a + b,
    ),
    '246',
  );
});

test('parallelMap takes an options object as its fourth argument, with resultDone and timeoutMs', async () => {
  const done = [];
  const results = await parallelMap(shared.pool, (x) => `${x} + 1`, [1, 2, 3], {
    resultDone: (i, r) => done.push([i, r]),
    timeoutMs: 5000,
  });
  assert.deepEqual(results, [2, 3, 4]);
  assert.deepEqual(
    done.sort((a, b) => a[0] - b[0]),
    [
      [0, 2],
      [1, 3],
      [2, 4],
    ],
  );
  await assert.rejects(
    parallelMap(shared.pool, () => 'new Promise(() => {})', [1], { timeoutMs: 200 }),
    (err) => err.code === ErrorCodes.Timeout,
  );
  await assert.rejects(
    parallelMap(shared.pool, () => '1', [1], 'fast'),
    (err) => err.code === ErrorCodes.BadArgument && /fourth argument is resultDone/.test(err.message),
  );
});

test('startMaster and connectWorkers refuse an option they do not take, by name, before anything starts', async () => {
  await assert.rejects(startMaster({ local: 1, auditFile: 'none' }), (err) => {
    assert.equal(err.code, ErrorCodes.BadArgument);
    assert.match(err.message, /startMaster has no option "auditFile": did you mean audit\?/);
    return true;
  });
  await assert.rejects(connectWorkers(['127.0.0.1:1'], { timeoutMs: 5 }), (err) => {
    assert.equal(err.code, ErrorCodes.BadArgument);
    assert.match(err.message, /connectWorkers has no option "timeoutMs"/);
    return true;
  });
});
