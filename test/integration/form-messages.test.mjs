// form(fn) as users write it: a method works as the function it stands for, and a variable
// of the function's closure, which does not travel, is named with what to do about it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, evalOn, form, parallelMap, RemoteError } from 'crew';
import { sharedPool } from '../helpers.mjs';

const shared = sharedPool(1);

test('form(o.m) sends a method as the function it stands for', async () => {
  const o = {
    twice(x) {
      return 2 * x;
    },
    async later(x) {
      return x + 1;
    },
  };
  // Before, each was a syntax error at form:twice:1:7 and so on.
  assert.deepEqual(await parallelMap(shared.pool, form(o.twice), [1, 2, 3]), [2, 4, 6]);
  assert.equal(await evalOn(shared.pool, null, form(o.later, 41)), 42);
  const getter = Object.getOwnPropertyDescriptor(
    {
      get g() {
        return 1;
      },
    },
    'g',
  ).get;
  assert.throws(
    () => form(getter),
    (err) => err.code === ErrorCodes.BadForm && /not a function expression/.test(err.message),
  );
});

test('a closure variable that did not travel is named, with how to pass it', async () => {
  const k = 10;
  await assert.rejects(
    parallelMap(
      shared.pool,
      form((x) => x + k),
      [1],
    ),
    (err) =>
      err instanceof RemoteError &&
      err.remoteName === 'ReferenceError' &&
      /k is not defined \(form\(\) sends a function's text, not its closure: .*form\(\(k, x\) => \.\.\., k\)/.test(
        err.message,
      ),
  );
  assert.deepEqual(
    await parallelMap(
      shared.pool,
      form((k, x) => x + k, k),
      [1],
    ),
    [11],
    'as the hint says',
  );
  // A string form that names an undefined variable gets no hint about closures.
  await assert.rejects(evalOn(shared.pool, null, 'nothingHere + 1'), (err) =>
    err.message.endsWith('nothingHere is not defined'),
  );
});
