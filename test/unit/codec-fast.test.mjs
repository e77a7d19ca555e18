// The fast paths of the codec: small values and typed arrays written by hand, and the
// compact tasks/results frames. Each must give exactly what V8's own serializer gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { loadSource } from '../helpers.mjs';

const { encodeValue, decodeValue, encodeFrame, decodeFrame, movableArgs, ownsMemory } =
  await loadSource('protocol/codec/codec.ts');

const values = [
  0,
  1,
  -1,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 31,
  -0,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  true,
  false,
  null,
  undefined,
  '',
  'abc',
  'é\u00ff',
  '€ is two bytes',
  'x'.repeat(64),
  'x'.repeat(65),
  [],
  [1, 'a', null, undefined, true, -0, NaN],
  [[1]],
  // eslint-disable-next-line no-sparse-arrays -- a hole is one of the values under test
  [, 1],
  Object.assign([1], { p: 2 }),
  Array(17).fill(1),
  { a: 1 },
  2n,
  new Date(0),
  new Map([[1, 2]]),
  new Float64Array(1000).fill(1.5),
  new Uint8Array(10),
  [new Uint8Array(300).fill(3), 5, 'x'],
  Buffer.alloc(500, 7),
  new DataView(new ArrayBuffer(400)),
  new BigInt64Array(40).fill(-3n),
  new Int16Array(200).fill(-2),
];

test('encodeValue and decodeValue agree with V8 both ways for every kind of value', () => {
  for (const v of values) {
    const bytes = encodeValue(v);
    assert.deepStrictEqual(deserialize(bytes), v, `V8 reads what encodeValue wrote for ${String(v)}`);
    assert.deepStrictEqual(decodeValue(bytes), v, `decodeValue reads what encodeValue wrote for ${String(v)}`);
    assert.deepStrictEqual(decodeValue(serialize(v)), v, `decodeValue reads what V8 wrote for ${String(v)}`);
  }
  assert.ok(Object.is(decodeValue(encodeValue(-0)), -0));
});

test('a typed array from a vm context (another realm) keeps its type', async () => {
  const vm = await import('node:vm');
  const foreign = vm.runInNewContext('new Float32Array(100).fill(0.5)');
  const back = decodeValue(encodeValue(foreign));
  assert.ok(back instanceof Float32Array);
  assert.equal(back.length, 100);
  assert.equal(back[99], 0.5);
});

test('bad bytes are refused by decodeValue, not misread', () => {
  for (const bad of [
    Uint8Array.of(0xff, 0x0f, 0x49),
    Uint8Array.of(0xff, 0x0f, 0x41, 0x05, 0x49, 0x02),
    Uint8Array.of(0x01, 0x02, 0x03),
  ]) {
    assert.throws(() => decodeValue(bad));
  }
});

test('tasks and results frames round-trip, and a large typed array is viewed in place', () => {
  const big = new Float64Array(1 << 18).map((_, i) => i);
  const tasks = [
    { id: 1, form: 2, args: encodeValue([5]), timeoutMs: undefined, setup: undefined },
    { id: 2 ** 40, form: 3, timeoutMs: 100, setup: true },
    { id: 3, form: 2, args: encodeValue([big]) },
  ];
  const forms = [{ id: 2, mode: 'call', code: '(x) => x', filename: 'f.js', line: 1, column: 1, cache: true }];
  const frame = encodeFrame({ t: 'tasks', forms, tasks, resultGroup: 4 });
  assert.equal(frame[0], 0xc1, 'the compact layout is used');
  const m = decodeFrame(Buffer.from(frame));
  assert.equal(m.resultGroup, 4);
  assert.deepEqual(m.forms, forms);
  assert.deepEqual(
    m.tasks.map((t) => [t.id, t.form, t.timeoutMs, t.setup]),
    [
      [1, 2, undefined, undefined],
      [2 ** 40, 3, 100, true],
      [3, 2, undefined, undefined],
    ],
  );
  assert.deepEqual(decodeValue(m.tasks[0].args), [5]);
  const [arr] = decodeValue(m.tasks[2].args);
  assert.deepEqual(arr, big);
  assert.ok(arr.buffer.byteLength > arr.byteLength, 'viewed inside the frame, not copied');

  const results = [
    { id: 1, ok: true, value: encodeValue(7), ms: 0.25 },
    { id: 2, ok: false, error: { name: 'E', message: 'm', frames: [] }, ms: 1 },
  ];
  const r = decodeFrame(encodeFrame({ t: 'results', results }));
  assert.equal(decodeValue(r.results[0].value), 7);
  assert.equal(r.results[0].ms, 0.25);
  assert.deepEqual(r.results[1], results[1]);
});

test('a printable task and a printed result keep their marks in the compact frames', () => {
  const frame = encodeFrame({
    t: 'tasks',
    forms: [],
    tasks: [
      { id: 1, form: 2, printable: true },
      { id: 2, form: 2 },
    ],
  });
  assert.equal(frame[0], 0xc1, 'the compact layout is used');
  assert.deepEqual(
    decodeFrame(Buffer.from(frame)).tasks.map((t) => t.printable),
    [true, undefined],
  );
  const results = [
    { id: 1, ok: true, value: encodeValue('[Function: f]'), ms: 1, printed: true },
    { id: 2, ok: true, value: encodeValue(7), ms: 1 },
  ];
  const out = encodeFrame({ t: 'results', results });
  assert.equal(out[0], 0xc2, 'the compact layout is used');
  const r = decodeFrame(Buffer.from(out)).results;
  assert.deepEqual(
    r.map((x) => [x.ok, x.printed, decodeValue(x.value)]),
    [
      [true, true, '[Function: f]'],
      [true, undefined, 7],
    ],
  );
});

test('plain forms travel as JSON and forms with initArgs through V8, and both come back the same', () => {
  const plain = {
    id: 2,
    mode: 'value',
    code: 'const s = "\u00e9\ud800"; s',
    sourceMap: '{"version":3,"mappings":"AAAA"}',
    filename: '<form>',
    line: 3,
    column: 5,
    cache: false,
  };
  const withInit = { id: 3, mode: 'call', code: '(a) => a', filename: 'f.js', line: 1, column: 1, cache: true };
  withInit.initArgs = encodeValue([1]);
  const at = (frame) => frame[13];
  for (const [forms, first] of [
    [[plain], 0x5b],
    [[plain, withInit], 0xff],
  ]) {
    // Twice: the second frame uses the JSON made for the first.
    for (let i = 0; i < 2; i++) {
      const frame = encodeFrame({ t: 'tasks', forms, tasks: [{ id: 1, form: 2 }] });
      assert.equal(frame[0], 0xc1);
      assert.equal(at(frame), first);
      assert.deepEqual(decodeFrame(Buffer.from(frame)).forms, forms);
    }
  }
});

test('a message with a field the compact layout does not know goes through V8 unchanged', () => {
  const frame = encodeFrame({ t: 'tasks', forms: [], tasks: [{ id: 1, form: 2, extra: { x: 1 } }] });
  assert.equal(frame[0], 0xff);
  assert.deepEqual(decodeFrame(frame).tasks[0].extra, { x: 1 });
  const sig = decodeFrame(encodeFrame({ t: 'tasks', forms: [], tasks: [], sig: 'abc' }));
  assert.equal(sig.sig, 'abc');
});

test('every truncation of a compact frame is a clear CREW_BAD_FRAME', () => {
  const frame = encodeFrame({
    t: 'results',
    results: [
      { id: 1, ok: true, value: encodeValue('hello'), ms: 1 },
      { id: 2, ok: false, error: { name: 'E', message: 'm', frames: [] }, ms: 1 },
    ],
  });
  for (let cut = 1; cut < frame.length; cut++) {
    assert.throws(
      () => decodeFrame(frame.subarray(0, cut)),
      (err) => err.code === 'CREW_BAD_FRAME' && /undecodable frame/.test(err.message),
    );
  }
  const tasks = encodeFrame({ t: 'tasks', forms: [], tasks: [{ id: 1, form: 2, args: encodeValue([1, 2]) }] });
  assert.throws(
    () => decodeFrame(Buffer.concat([tasks, Buffer.of(0)])),
    (err) => err.code === 'CREW_BAD_FRAME' && /after its last task/.test(err.message),
  );
});

test('a megabyte-sized result is framed around its bytes, and the frame may move between threads', () => {
  const value = encodeValue(new Float64Array(1 << 18).fill(2));
  const frame = encodeFrame({ t: 'results', results: [{ id: 9, ok: true, value, ms: 3 }] });
  assert.equal(frame.buffer, value.buffer, 'no copy into a separate frame');
  assert.ok(ownsMemory(frame));
  // The free room is used once: a second frame of the same bytes is a copy.
  const again = encodeFrame({ t: 'results', results: [{ id: 10, ok: true, value, ms: 3 }] });
  assert.notEqual(again.buffer, value.buffer);
  assert.equal(decodeFrame(frame).results[0].id, 9, 'the first frame is not overwritten');
  assert.deepEqual(decodeValue(decodeFrame(again).results[0].value), new Float64Array(1 << 18).fill(2));
});

test('only large arguments held by nothing else are moved to the eval thread', () => {
  const frame = decodeFrame(
    encodeFrame({
      t: 'tasks',
      forms: [],
      tasks: [
        { id: 1, form: 1, args: encodeValue([new Float64Array(1 << 18)]) },
        { id: 2, form: 1, args: encodeValue([1]) },
      ],
    }),
  );
  assert.equal(movableArgs(frame.forms, frame.tasks).length, 1);
  const setup = decodeFrame(
    encodeFrame({
      t: 'tasks',
      forms: [],
      tasks: [{ id: 1, form: 1, setup: true, args: encodeValue([new Float64Array(1 << 18)]) }],
    }),
  );
  assert.deepEqual(movableArgs(setup.forms, setup.tasks), [], 'setup tasks are kept for replay');
  const small = decodeFrame(
    encodeFrame({ t: 'tasks', forms: [], tasks: [{ id: 1, form: 1, args: encodeValue([1]) }] }),
  );
  assert.deepEqual(movableArgs(small.forms, small.tasks), []);
});
