// asCompleted, inCompletionOrder, parallel and runTask against real local workers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asCompleted, ErrorCodes, form, inCompletionOrder, parallel, runTask } from 'crew';
import { sharedPool } from '../helpers.mjs';
import { makeGate } from './gate.mjs';

const shared = sharedPool(2);

test('asCompleted yields [index, result] in completion order', async () => {
  const gate = makeGate();
  const list = ['slow', 'a', 'b'];
  const seen = [];
  for await (const [i, r] of asCompleted(
    shared.pool,
    (x) => (x === 'slow' ? gate.form('slow!') : JSON.stringify(x + '!')),
    list,
  )) {
    seen.push([i, r]);
    // The slow element cannot finish before the gate opens, which happens only now.
    if (seen.length === 1) gate.open();
  }
  assert.notEqual(seen[0][0], 0, 'the gated element is not first');
  assert.deepEqual(seen.map(([i]) => i).sort(), [0, 1, 2]);
  for (const [i, r] of seen) assert.equal(r, list[i] + '!');
});

test('asCompleted with a function form, an empty list and a null pool', async () => {
  const got = new Map();
  for await (const [i, r] of asCompleted(
    shared.pool,
    form((x) => x * 10),
    [1, 2, 3, 4],
  ))
    got.set(i, r);
  assert.deepEqual(
    [...got.entries()].sort((a, b) => a[0] - b[0]),
    [
      [0, 10],
      [1, 20],
      [2, 30],
      [3, 40],
    ],
  );
  const none = [];
  for await (const x of asCompleted(shared.pool, (x) => `${x}`, [])) none.push(x);
  assert.deepEqual(none, []);
  const local = [];
  for await (const x of asCompleted(null, (x) => `${x} + 1`, [1, 2])) local.push(x);
  assert.deepEqual(local, [
    [0, 2],
    [1, 3],
  ]);
});

test('asCompleted throws the first failure, and refuses a list that is not an array', async () => {
  await assert.rejects(
    (async () => {
      for await (const _ of asCompleted(
        shared.pool,
        (x) => (x === 2 ? 'throw new RangeError("two")' : `${x}`),
        [1, 2, 3],
      ));
    })(),
    (err) => err.code === ErrorCodes.Remote && /RangeError on w\d: two/.test(err.message),
  );
  await assert.rejects(
    asCompleted(shared.pool, (x) => `${x}`, 'abc').next(),
    (err) => err.code === ErrorCodes.BadArgument && /needs an array/.test(err.message),
  );
});

test('inCompletionOrder orders any promises by when they settle', async () => {
  let release;
  const first = new Promise((r) => (release = r));
  const order = [];
  for await (const [i, v] of inCompletionOrder([first, Promise.resolve('b'), Promise.resolve('c')])) {
    order.push([i, v]);
    if (order.length === 2) release('a');
  }
  assert.deepEqual(order, [
    [1, 'b'],
    [2, 'c'],
    [0, 'a'],
  ]);
  await assert.rejects(inCompletionOrder('nope').next(), (err) => err.code === ErrorCodes.BadArgument);
});

test('parallel returns results in the order of the forms', async () => {
  assert.deepEqual(
    await parallel(shared.pool, [
      '1 + 1',
      form((a, b) => a * b, 6, 7),
      'new Promise((r) => setTimeout(() => r("late"), 30))',
      '"s"',
    ]),
    [2, 42, 'late', 's'],
  );
  assert.deepEqual(await parallel(shared.pool, []), []);
  assert.deepEqual(await parallel(null, ['2 * 3']), [6]);
  await assert.rejects(parallel(shared.pool, ['1', 'throw new Error("bad form")']), /Error on w\d: bad form/);
  await assert.rejects(
    parallel(shared.pool, 'x'),
    (err) => err.code === ErrorCodes.BadArgument && /array of forms/.test(err.message),
  );
});

test('runTask returns the tag unchanged, the compute time and the worker', async () => {
  const tag = { job: 'hello', n: 7, when: new Date(0) };
  const r = await runTask(
    shared.pool,
    form((s) => `Hello World: ${s}`, 'Task 7'),
    { tag },
  );
  assert.equal(r.value, 'Hello World: Task 7');
  assert.equal(r.tag, tag, 'the very same tag object');
  assert.match(r.worker, /^w[12]$/);
  assert.equal(typeof r.ms, 'number');
  // The compute time is measured on the worker: a task that sleeps 50 ms cannot report less.
  const slow = await runTask(shared.pool, 'new Promise((r) => setTimeout(() => r(1), 50))', {
    tag: 'slow',
    worker: 'w2',
  });
  assert.equal(slow.worker, 'w2');
  assert.equal(slow.tag, 'slow');
  assert.ok(slow.ms >= 45, `ms=${slow.ms}`);
  const untagged = await runTask(shared.pool, '3');
  assert.equal(untagged.tag, undefined);
});

test('runTask on a null pool, on an unknown worker, and when the form throws', async () => {
  const local = await runTask(null, '5 * 5', { tag: 1 });
  assert.deepEqual([local.value, local.tag, local.worker], [25, 1, 'master']);
  await assert.rejects(
    runTask(shared.pool, '1', { worker: 'w9' }),
    (err) => err.code === ErrorCodes.UnknownWorker && /w9/.test(err.message),
  );
  await assert.rejects(runTask(null, '1', { worker: 'w1' }), (err) => err.code === ErrorCodes.UnknownWorker);
  await assert.rejects(runTask(shared.pool, 'null.x', { tag: 't' }), /TypeError on w\d/);
});
