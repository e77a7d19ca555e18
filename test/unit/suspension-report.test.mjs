// What a worker reports of a suspension: values and conditions from real V8 remote objects,
// and live frames mapped through a form's real source map.
import assert from 'node:assert/strict';
import { Session } from 'node:inspector';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const { debugFrame, describeThrown, toValue } = await loadSource('worker/debug/suspension-report.ts');
const { SourceMaps } = await loadSource('worker/image/source-maps.ts');
const { FormRegistry } = await loadSource('server/api/form.ts');

/** Evaluates `expression` in this process through its own inspector, as CDP describes the value. */
async function remote(expression) {
  const session = new Session();
  session.connect();
  try {
    const { result } = await new Promise((resolve, reject) =>
      session.post('Runtime.evaluate', { expression }, (err, r) => (err ? reject(err) : resolve(r))),
    );
    return result;
  } finally {
    session.disconnect();
  }
}

test('values read as the debugger shows them; only objects can be expanded', async () => {
  const cases = [
    ['"a\\"b"', 'string', '"a\\"b"'],
    ['12n', 'bigint', '12n'],
    ['NaN', 'number', 'NaN'],
    ['-0', 'number', '-0'],
    ['undefined', 'undefined', 'undefined'],
    ['null', 'object:null', 'null'],
    ['true', 'boolean', 'true'],
    ['[1, 2]', 'object:array', 'Array(2)'],
    ['new Map([[1, 2]])', 'object:map', 'Map(1)'],
  ];
  for (const [expression, type, value] of cases) {
    const v = toValue('x', await remote(expression));
    assert.deepEqual({ type: v.type, value: v.value }, { type, value }, expression);
    assert.equal(v.objectId !== undefined, type.startsWith('object:') && type !== 'object:null', expression);
  }
  const fn = toValue('f', await remote('(function twice(n) {\n  return 2 * n;\n})'));
  assert.equal(fn.type, 'function');
  assert.equal(fn.value, 'function twice(n) {', 'one line of the source');
  assert.equal(fn.objectId, undefined);
  const obj = toValue('o', await remote('({ a: 1 })'));
  assert.deepEqual([obj.name, obj.type, obj.value, typeof obj.objectId], ['o', 'object', 'Object', 'string']);
});

test('a thrown error gives its class and message; anything else thrown is named as such', async () => {
  assert.deepEqual(describeThrown(await remote("new RangeError('too far')")), {
    reason: 'exception',
    name: 'RangeError',
    message: 'too far',
  });
  assert.deepEqual(describeThrown(await remote('42')), {
    reason: 'exception',
    name: 'Error',
    message: 'non-Error thrown: 42',
  });
  assert.deepEqual(describeThrown(undefined), { reason: 'exception', name: 'Error', message: 'unknown error' });
});

test("a live frame of a form is placed in the user's file through the form's source map", async () => {
  const source = "const start: number = 1;\nfunction boom(x: number): never {\n  throw new Error('x' + x);\n}\n";
  // Compiled as the master compiles a form, at line 10, column 5 of its file.
  const { def } = await new FormRegistry().prepare(
    { code: source, filename: '/src/calc.ts', line: 10, column: 5 },
    'value',
  );
  const out = { code: def.code };
  const maps = new SourceMaps();
  maps.add({ ...def, id: 7 });
  const throwLine = out.code.split('\n').findIndex((l) => l.includes('throw'));
  const frame = (lineNumber, columnNumber, url) => ({
    callFrameId: 'f',
    functionName: 'boom',
    url,
    location: { scriptId: '1', lineNumber, columnNumber },
    scopeChain: [
      { type: 'local', object: { objectId: 'L' } },
      { type: 'closure', name: 'outer', object: { objectId: 'C' } },
      { type: 'block', object: {} },
      { type: 'global', object: { objectId: 'G' } },
    ],
  });
  const atThrow = debugFrame(frame(throwLine, 2, '/src/calc.ts#crew7'), 0, '/src/calc.ts#crew7', maps);
  assert.deepEqual(atThrow, {
    index: 0,
    functionName: 'boom',
    file: '/src/calc.ts',
    // Line 3 of the form, which starts at line 10; columns count from the line's start.
    line: 12,
    column: 3,
    internal: false,
    scopes: [
      { type: 'local', name: undefined, objectId: 'L' },
      { type: 'closure', name: 'outer', objectId: 'C' },
    ],
  });
  // On the form's first line, columns count from where the form starts in its line.
  const first = debugFrame(frame(0, 0, '/src/calc.ts#crew7'), 1, '/src/calc.ts#crew7', maps);
  assert.deepEqual([first.index, first.line, first.column], [1, 10, 5]);

  const node = debugFrame(frame(4, 9, 'node:internal/timers'), 2, 'node:internal/timers', maps);
  assert.deepEqual([node.file, node.line, node.column, node.internal], ['node:internal/timers', 5, 10, true]);
  assert.equal(debugFrame(frame(0, 0, ''), 3, '', maps).internal, true, 'a frame with no script is not the user’s');
  const lib = debugFrame(frame(0, 0, '/app/lib.js'), 4, '/app/lib.js', maps);
  assert.deepEqual([lib.file, lib.internal], ['/app/lib.js', false]);
});
