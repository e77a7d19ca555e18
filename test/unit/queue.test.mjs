// The queue the scheduler, the eval thread, mailboxes and completion-order iterators share:
// first in, first out across growth and wrap-around, items put back at the front or taken out
// from the middle, and an empty queue that answers undefined rather than throwing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const { Queue } = await loadSource('protocol/queue.ts');

test('items come out in the order they went in, across growth', () => {
  const q = new Queue();
  for (let i = 0; i < 1000; i++) q.push(i);
  assert.equal(q.length, 1000);
  const out = [];
  while (q.length > 0) out.push(q.shift());
  assert.deepEqual(
    out,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.equal(q.shift(), undefined);
  assert.equal(q.peek(), undefined);
  assert.equal(q.length, 0);
});

test('interleaved pushes and shifts wrap around the ring in order', () => {
  const q = new Queue();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 7; i++) q.push(next++);
    for (let i = 0; i < 5; i++) assert.equal(q.shift(), expected++);
  }
  assert.equal(q.length, next - expected);
  assert.deepEqual(
    q.drain(),
    Array.from({ length: next - expected }, (_, i) => expected + i),
  );
  assert.equal(q.length, 0);
});

test('peek shows the front without taking it', () => {
  const q = new Queue();
  q.push('a');
  q.push('b');
  assert.equal(q.peek(), 'a');
  assert.equal(q.length, 2);
  assert.equal(q.shift(), 'a');
  assert.equal(q.peek(), 'b');
});

test('pushFront puts items ahead of the queue in their own order, growing when needed', () => {
  const q = new Queue();
  for (let i = 0; i < 10; i++) q.push(i);
  q.shift();
  q.shift();
  q.pushFront(['x', 'y']);
  q.pushFront(Array.from({ length: 40 }, (_, i) => `f${i}`));
  const all = q.drain();
  assert.deepEqual(
    all.slice(0, 40),
    Array.from({ length: 40 }, (_, i) => `f${i}`),
  );
  assert.deepEqual(all.slice(40), ['x', 'y', 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('pushFront on an empty queue, then pushes after it', () => {
  const q = new Queue();
  q.pushFront([1, 2]);
  q.push(3);
  assert.deepEqual([...q], [1, 2, 3]);
  assert.deepEqual(q.toArray(), [1, 2, 3]);
  assert.equal(q.length, 3, 'iterating takes nothing');
});

test('clear empties it, and it works as new afterwards', () => {
  const q = new Queue();
  for (let i = 0; i < 100_000; i++) q.push(i);
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.shift(), undefined);
  q.push('after');
  assert.deepEqual(q.drain(), ['after']);
});

test('a queue emptied after a large burst keeps working', () => {
  const q = new Queue();
  for (let i = 0; i < 100_000; i++) q.push(i);
  for (let i = 0; i < 100_000; i++) assert.equal(q.shift(), i);
  q.push(1);
  q.push(2);
  assert.deepEqual(q.drain(), [1, 2]);
});

test('undefined and null are items like any other', () => {
  const q = new Queue();
  q.push(undefined);
  q.push(null);
  assert.equal(q.length, 2);
  assert.equal(q.shift(), undefined);
  assert.equal(q.length, 1);
  assert.equal(q.shift(), null);
});

test('removeWhere takes out the matching items, front first, and the rest keep their order', () => {
  const q = new Queue();
  for (let i = 0; i < 40; i++) q.push(i);
  for (let i = 0; i < 30; i++) q.shift();
  for (let i = 40; i < 50; i++) q.push(i); // wrapped around the ring
  assert.deepEqual(
    q.removeWhere((x) => x % 3 === 0),
    [30, 33, 36, 39, 42, 45, 48],
  );
  assert.deepEqual(q.toArray(), [31, 32, 34, 35, 37, 38, 40, 41, 43, 44, 46, 47, 49]);
  assert.deepEqual(
    q.removeWhere(() => false),
    [],
  );
  assert.equal(q.length, 13);
});
