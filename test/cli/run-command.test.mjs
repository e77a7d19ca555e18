// `crew run` as a user meets it: a real process, its exit code and what it says on stderr.
// A script runs only where the workers asked for are (never silently on the master), and it
// runs as a Node script does: `require`, its own place, and its arguments after `--`.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runCrew, startCrew, tempDir } from '../helpers.mjs';

const OTHER_SECRET = 'another-secret-for-crew-tests-0123456789';
const RAN = "console.log('the script ran on pid ' + process.pid);\n";

let worker;
before(async () => {
  worker = await startCrew(['worker', '--port', '0', '--audit-file', 'none'], {
    readyPattern: /listening on 127\.0\.0\.1:(\d+)/,
  });
});
after(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
});

function script(text, name = 's.ts') {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

/** A port nothing listens on: taken from the system, then given back. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a worker that refuses the secret: exit 3, saying why, and the script does not run', async () => {
  const workers = `127.0.0.1:${worker.match[1]}`;
  const r = await runCrew(['run', script(RAN), '--workers', workers, '--audit-file', 'none'], {
    env: { CREW_SECRET: OTHER_SECRET },
  });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /not connected: .*the secrets differ/);
  assert.match(r.stderr, /none of the workers asked for connected.*--allow-no-workers.*\[CREW_NO_WORKERS\]/);
  assert.doesNotMatch(r.stdout, /the script ran/);
});

test('an unreachable worker: exit 3; with --allow-no-workers the script runs on the master', async () => {
  const workers = `127.0.0.1:${await closedPort()}`;
  const file = script(`${RAN}console.log('a form ran on pid ' + (await evalOn(pool, null, 'process.pid')));\n`);
  const refused = await runCrew(['run', file, '--workers', workers, '--audit-file', 'none']);
  assert.equal(refused.code, 3, refused.stderr);
  assert.doesNotMatch(refused.stdout, /the script ran/);
  const allowed = await runCrew(['run', file, '--workers', workers, '--audit-file', 'none', '--allow-no-workers']);
  assert.equal(allowed.code, 0, allowed.stderr);
  const [, scriptPid] = /the script ran on pid (\d+)/.exec(allowed.stdout) ?? [];
  assert.match(allowed.stdout, new RegExp(`a form ran on pid ${scriptPid}$`, 'm'));
});

test('a script has require, its own place, and the arguments after --', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'data.txt'), 'next to the script\n');
  // A package of the script's own, found from its folder (CommonJS, with an export named `m`).
  mkdirSync(join(dir, 'node_modules', 'pkg'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'pkg', 'package.json'), '{ "name": "pkg", "main": "index.js" }');
  writeFileSync(join(dir, 'node_modules', 'pkg', 'index.js'), 'exports.m = 1; exports.other = 2;\n');
  writeFileSync(join(dir, 'lib', 'place.ts'), 'export const place = (): string[] => [__dirname, import.meta.url];\n');
  const file = join(dir, 'main.ts');
  writeFileSync(
    file,
    `import { readFileSync } from 'node:fs';
import { place } from './lib/place';
import pkg, { m } from 'pkg';
const fs = require('node:fs');
const crew = require('crew');
const fromImport: typeof import('crew') = await import('crew');
const n: number = await evalOn(pool, null, '6 * 7');
console.log(JSON.stringify({
  n,
  argv: process.argv.slice(2),
  script: process.argv[1],
  url: import.meta.url,
  meta: import.meta.dirname + ' ' + JSON.stringify(Object.keys(import.meta)),
  dirname: __dirname,
  filename: __filename,
  lib: place(),
  data: readFileSync(new URL('./data.txt', import.meta.url), 'utf8').trim(),
  sameFs: fs.readFileSync === readFileSync,
  pkg: [m, pkg.other, require('pkg').other],
  crew: typeof crew.parallelMap === 'function' && crew.parallelMap === fromImport.parallelMap,
}));
`,
  );
  const r = await runCrew(['run', file, '--local', '1', '--audit-file', 'none', '--', 'one', '--two', '-3']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    n: 42,
    argv: ['one', '--two', '-3'],
    script: file,
    url: pathToFileURL(file).href,
    meta: `${dir} ["url","filename","dirname"]`,
    dirname: dir,
    filename: file,
    lib: [join(dir, 'lib'), pathToFileURL(join(dir, 'lib', 'place.ts')).href],
    data: 'next to the script',
    sameFs: true,
    pkg: [1, 2, 2],
    crew: true,
  });
});

test('an error points at its TypeScript line; a second script or a missing one is bad usage', async () => {
  const file = script('const a: number = 1;\nawait Promise.resolve(a);\nthrow new Error("from line 3");\n');
  const r = await runCrew(['run', file, '--local', '1', '--audit-file', 'none']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`Error: from line 3\\n\\s+at .*${file.replace(/[.]/g, '\\.')}:3:7`));
  const usage = await runCrew(['run', file, 'extra', '--local', '1']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /its own arguments go after --/);
  const missing = await runCrew(['run', join(tempDir(), 'nosuch.ts'), '--local', '1']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^crew: there is no script .*nosuch\.ts$/m);
});
