// Every form's source map names the user's file (a file: URL for an absolute path) and counts
// that file's own lines and columns, for TypeScript and JavaScript alike, so VS Code's
// debugger and RemoteError.frames land on the user's line.
import assert from 'node:assert/strict';
import { SourceMap } from 'node:module';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const { FormRegistry } = await loadSource('server/api/form.ts');
const { SourceMaps, scriptCodeFor } = await loadSource('worker/image/source-maps.ts');

/** The original position (1-based) of the first generated occurrence of `needle`. */
function original(def, needle) {
  const map = new SourceMap(JSON.parse(def.sourceMap));
  const lines = def.code.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  const hit = map.findEntry(line, lines[line].indexOf(needle));
  return { source: hit.originalSource, line: hit.originalLine + 1, column: hit.originalColumn + 1 };
}

test('a TypeScript form in the middle of a file maps to the file, not to the form', async () => {
  const { def } = await new FormRegistry().prepare(
    {
      code: 'const k: number = 2; const n = k * 3;\nfunction g(x: number) {\n  return x + k;\n}',
      filename: '/p/w.ts',
      line: 10,
      column: 5,
    },
    'value',
  );
  assert.deepEqual(JSON.parse(def.sourceMap).sources, ['file:///p/w.ts']);
  assert.equal(JSON.parse(def.sourceMap).sourcesContent, undefined, 'the editor reads the file itself');
  assert.deepEqual(original(def, 'return'), { source: 'file:///p/w.ts', line: 12, column: 3 });
  // The first line is shifted by the form's column.
  assert.deepEqual(original(def, 'k * 3'), {
    source: 'file:///p/w.ts',
    line: 10,
    column: 5 + 'const k: number = 2; const n = '.length,
  });
});

test('a JavaScript form gets a map too, token by token', async () => {
  const { def } = await new FormRegistry().prepare(
    { code: 'let total = 0;\nfor (const v of [1, 2]) total += v;\ntotal', filename: '/p/w.js', line: 3, column: 1 },
    'value',
  );
  assert.deepEqual(original(def, 'total +='), { source: 'file:///p/w.js', line: 4, column: 25 });
  const maps = new SourceMaps();
  maps.add(def);
  assert.deepEqual(maps.mapPosition(`/p/w.js#crew${def.id}`, 2, 25), { file: '/p/w.js', line: 4, column: 25 });
});

test('a form from a file names its map inline for a debugger; other forms do not', async () => {
  const registry = new FormRegistry();
  const { def } = await registry.prepare({ code: '1 + 1', filename: '/p/w.js', line: 1 }, 'value');
  const inline = /\n\/\/# sourceMappingURL=data:application\/json;charset=utf-8;base64,(.+)$/.exec(scriptCodeFor(def));
  assert.ok(inline, 'the script ends with its source map');
  assert.equal(Buffer.from(inline[1], 'base64').toString(), def.sourceMap);
  const { def: plain } = await registry.prepare('2 + 2', 'value');
  assert.equal(scriptCodeFor(plain), plain.code, 'a form with no file has nothing to resolve to');
});
