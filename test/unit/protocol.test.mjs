// Unit tests of the protocol pieces, through the built library's internals where public.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

test('encodeValue names the type and the path of what cannot be sent', async () => {
  const { encodeValue, decodeValue } = await loadSource('protocol/codec/codec.ts');
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  const back = decodeValue(encodeValue({ m: new Map([['k', new Set([1n])]]), cyclic }));
  assert.equal(back.cyclic.self, back.cyclic);
  assert.ok(back.m.get('k').has(1n));
  const cases = [
    [{ list: [1, 2, () => 3] }, /anonymous function at value\.list\[2\]/],
    [{ m: new Map([['x', Symbol('s')]]) }, /symbol at value\.m\.get\("x"\)/],
    [{ p: Promise.resolve(1) }, /Promise at value\.p/],
    [{ 'odd key': { w: new WeakMap() } }, /WeakMap at value\["odd key"\]\.w/],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(
      () => encodeValue(value),
      (err) => err.code === 'CREW_NOT_SERIALIZABLE' && pattern.test(err.message),
      String(pattern),
    );
  }
});

test('parseHostPort accepts host:port forms and names bad ones', async () => {
  const { parseHostPort, isLoopback } = await loadSource('protocol/address.ts');
  assert.deepEqual(parseHostPort('10.0.0.5:4005'), { host: '10.0.0.5', port: 4005 });
  assert.deepEqual(parseHostPort('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(parseHostPort(':7'), { host: '127.0.0.1', port: 7 });
  for (const bad of ['host', 'host:0', 'host:70000', 'a:b'])
    assert.throws(() => parseHostPort(bad), /is not host:port/, bad);
  assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost'));
  assert.ok(!isLoopback('0.0.0.0') && !isLoopback('10.1.2.3'));
});

test('source maps place a transpiled form at the user file and line', async () => {
  const { SourceMaps } = await loadSource('worker/image/source-maps.ts');
  const { FormRegistry } = await loadSource('server/api/form.ts');
  const registry = new FormRegistry();
  const { def } = await registry.prepare(
    {
      code: 'type N = number;\nfunction f(x: N) {\n  throw new Error("x" + x);\n}',
      filename: '/p/a.ts',
      line: 40,
      column: 1,
    },
    'value',
  );
  assert.ok(def.sourceMap, 'TypeScript is transpiled with a source map');
  const maps = new SourceMaps();
  maps.add(def);
  // `throw` is on the 2nd line of the generated code (the type alias is erased).
  const generatedLine = def.code.split('\n').findIndex((l) => l.includes('throw')) + 1;
  const hit = maps.mapPosition(`/p/a.ts#crew${def.id}`, generatedLine, 3);
  assert.deepEqual(hit, { file: '/p/a.ts', line: 42, column: 3 });
  assert.equal(maps.mapPosition('/elsewhere.js', 1, 1), undefined);
  const frames = maps.framesOf(
    `Error: x\n    at f (/p/a.ts#crew${def.id}:${generatedLine}:9)\n    at node:internal/foo:1:1`,
  );
  assert.equal(frames[0].line, 42);
  assert.equal(frames[1].internal, true);
});

test('a form that is neither JavaScript nor TypeScript gets a syntax error with its place', async () => {
  const { FormRegistry } = await loadSource('server/api/form.ts');
  await assert.rejects(
    new FormRegistry().prepare({ code: 'let = = 2', filename: '/p/b.ts', line: 7 }, 'value'),
    (err) => err.code === 'CREW_FORM_SYNTAX' && /\/p\/b\.ts:7/.test(err.message),
  );
});

test('a JavaScript-only form with a syntax error names the line and column of the error', async () => {
  const { FormRegistry } = await loadSource('server/api/form.ts');
  const code = 'let a = 1;\nlet b = (2 +;\n';
  await assert.rejects(
    new FormRegistry().prepare({ code, filename: '/p/c.js', line: 10, column: 5, lang: 'js' }, 'value'),
    (err) => err.code === 'CREW_FORM_SYNTAX' && err.message.includes('/p/c.js:11:13'),
  );
  // On the form's first line the column counts from where the form starts in the file.
  await assert.rejects(
    new FormRegistry().prepare({ code: 'f(]', filename: '/p/d.js', line: 3, column: 5, lang: 'js' }, 'value'),
    (err) => err.message.includes('/p/d.js:3:7'),
  );
});
