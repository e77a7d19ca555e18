// Forms rewritten on the master to behave as at a REPL (top-level let, const and class can
// be evaluated again; top-level await and import work), run here in a vm context as a
// worker runs them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transform } from 'esbuild';
import { loadSource, root } from '../helpers.mjs';

const { FormRegistry, Evaluator } = await loadSource(['server/api/form.ts', 'worker/image/evaluator.ts']);

/** Prepares forms as the master does and runs them one after another in one image, as a worker does. */
async function session() {
  const registry = new FormRegistry();
  const image = new Evaluator({ cwd: root, modules: { codes: (h) => registry.modules.codes.codes(h).modules } });
  return async (code, filename) => {
    const { def } = await registry.prepare(filename ? { code, filename } : code, 'value');
    image.define(def);
    return { def, value: await image.invoke(def.id, undefined) };
  };
}

test('top-level await: the value is the last expression, declarations stay for later forms', async () => {
  const run = await session();
  assert.equal(
    (await run('const a = await Promise.resolve(20), { b, c: [d] } = { b: 1, c: [1] };\nlet e;\na + b + d')).value,
    22,
  );
  assert.equal((await run('a * 2 + (e === undefined ? 1 : 0)')).value, 41);
  assert.equal(
    (
      await run(
        'function twice(x) { return 2 * x }\n' +
          'class Box { constructor(v) { this.v = v } }\n' +
          'var v = await new Promise((r) => setTimeout(() => r(4), 5));\ntwice(v)',
      )
    ).value,
    8,
  );
  assert.equal((await run('new Box(twice(v)).v')).value, 8);
  assert.equal(
    (await run('const out = [];\nfor await (const x of [Promise.resolve(1), 2]) out.push(x);\nout.join()')).value,
    '1,2',
  );
});

test("import becomes a call of the image's loader, with default, named, renamed and namespace bindings", async () => {
  const run = await session();
  const { value } = await run(
    'import path, { join as j, sep } from "node:path";\n' +
      'import * as os from "node:os";\nimport "node:util";\n' +
      '[typeof path.resolve, j("a", "b"), sep, typeof os.cpus].join()',
  );
  assert.equal(value, 'function,a/b,/,function');
  assert.equal((await run('j("x", "y")')).value, 'x/y');
});

test('lines stay where they were, in JavaScript and in TypeScript', async () => {
  const registry = new FormRegistry();
  const js = 'const y = await 1;\nimport {\n  join\n} from "node:path";\nthrow new Error(join("a", String(y)))';
  const jsOut = (await registry.prepare(js, 'value')).def.code.split('\n');
  assert.equal(jsOut.length, js.split('\n').length + 1, 'one line more: the end of the async function');
  assert.match(jsOut[4], /throw new Error/);
  const ts =
    'const x: number = await Promise.resolve(1);\n\nfunction boom(): never {\n  throw new Error("here");\n}\nboom()';
  const tsOut = (await registry.prepare({ code: ts, filename: '/p/lines.ts' }, 'value')).def.code.split('\n');
  // TypeScript is placed through esbuild's source map: the lines of esbuild's output stay.
  const plain = (await transform(ts, { loader: 'ts', target: 'es2022' })).code.split('\n');
  assert.equal(
    tsOut.findIndex((l) => l.includes('throw new Error("here")')),
    plain.findIndex((l) => l.includes('throw new Error("here")')),
  );
  const run = await session();
  await assert.rejects(run(js), (err) => /<form>#crew\d+:5:/.test(err.stack));
});

test('the same declarations can be evaluated again, as at a REPL; not a column moves for let and const', async () => {
  const run = await session();
  const form = 'const limit = 10;\nlet count;\nclass Point { constructor(x) { this.x = x } }\nlimit';
  assert.equal((await run(form)).value, 10);
  await run('count = 5');
  assert.equal((await run(form.replace('10', '20'))).value, 20);
  assert.equal((await run('[count, new Point(3).x].join()')).value, ',3', 'let count; again made count undefined');
  const again = 'import { sep } from "node:path";\nconst n = await Promise.resolve(1);\nn';
  assert.equal((await run(again)).value, 1);
  assert.equal((await run(again.replace('(1)', '(2)'))).value, 2);
  const { def } = await new FormRegistry().prepare('const a = 1, b = 2;\nlet c = a + b;\nc', 'value');
  assert.equal(def.code, 'var   a = 1, b = 2;\nvar c = a + b;\nc');
});

test('forms that need no rewriting are left alone, and what cannot be rewritten keeps its own error', async () => {
  const registry = new FormRegistry();
  assert.equal(
    (await registry.prepare('async function f() { await 1 }\n1 + 1', 'value')).def.code,
    'async function f() { await 1 }\n1 + 1',
  );
  await assert.rejects(registry.prepare('const x = await (', 'value'), (err) => err.code === 'CREW_FORM_SYNTAX');
});
