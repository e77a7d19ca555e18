// A live function's parameters as its source declares them (the argument lists of hover and
// signature help): defaults and destructuring stay whole, comments go, and a function without
// source gets names from its length.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const { parametersOf } = await loadSource('worker/image/parameters.ts');

test('plain, arrow, async and generator functions', () => {
  assert.deepEqual(
    parametersOf(function area(w, h) {
      return w * h;
    }),
    ['w', 'h'],
  );
  assert.deepEqual(
    parametersOf((x) => x),
    ['x'],
  );
  assert.deepEqual(
    parametersOf(async (a, b) => a + b),
    ['a', 'b'],
  );
  assert.deepEqual(
    parametersOf(function* gen(n) {
      yield n;
    }),
    ['n'],
  );
  assert.deepEqual(
    parametersOf(() => 1),
    [],
  );
});

test('defaults, destructuring and rest stay whole; comments go', () => {
  const fn = new Function('return function f(a = [1, 2], { b, c } = {}, /* the rest */ ...more) { return a }')();
  assert.deepEqual(parametersOf(fn), ['a = [1, 2]', '{ b, c } = {}', '...more']);
  const withString = new Function('return (sep = ", (", n = f(1, 2)) => sep')();
  assert.deepEqual(parametersOf(withString), ['sep = ", ("', 'n = f(1, 2)']);
});

test("a method and a class's constructor", () => {
  const o = {
    weigh(kg, unit = 'kg') {
      return kg + unit;
    },
  };
  assert.deepEqual(parametersOf(o.weigh), ['kg', "unit = 'kg'"]);
  class Bag {
    constructor(items, capacity) {
      this.items = items;
      this.capacity = capacity;
    }
  }
  assert.deepEqual(parametersOf(Bag), ['items', 'capacity']);
});

test('a function without source is named from its length', () => {
  assert.deepEqual(parametersOf(Math.random), []);
  assert.deepEqual(parametersOf(Array.prototype.slice), ['arg0', 'arg1']);
  assert.deepEqual(parametersOf(((a, _b, _c) => a).bind(null)), ['arg0', 'arg1', 'arg2']);
});
