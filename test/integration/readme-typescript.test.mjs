// The README's TypeScript type-checks as a user's project would see it: each ```ts block is
// compiled by tsc, strict, importing `crew` (this library's own types), so an example the
// types reject cannot stay in the README.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { root, tempDir } from '../helpers.mjs';

/** The ```ts blocks of a Markdown file, with the line each starts on. */
export function typescriptBlocks(markdown) {
  const blocks = [];
  const re = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m; (m = re.exec(markdown));)
    blocks.push({ code: m[1], line: markdown.slice(0, m.index).split('\n').length + 1 });
  return blocks;
}

test("the README's TypeScript examples compile under tsc --strict", () => {
  const blocks = typescriptBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(blocks.length > 0, 'the README has TypeScript examples');
  const dir = tempDir();
  mkdirSync(join(dir, 'examples'));
  const files = blocks.map((b, i) => {
    const file = join(dir, 'examples', `readme-${i + 1}.ts`);
    // `export {}`: each block is a module of its own, as a user's file is.
    writeFileSync(file, `${b.code}\nexport {};\n`);
    return file;
  });
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    skipLibCheck: true,
    esModuleInterop: true,
    paths: { crew: [join(root, 'server', 'index.ts')] },
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.includes(d.file.fileName))
    .map((d) => {
      const block = blocks[files.indexOf(d.file.fileName)];
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      return `README.md:${block.line + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  assert.deepEqual(problems, []);
});
