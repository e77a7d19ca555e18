// A TypeScript project of several modules and npm packages, written to a fresh folder, and
// workers that cannot see it: each runs in a mount namespace with an empty tmpfs over the
// project's folder, an empty working directory and an empty HOME. Every process is stopped
// by its pid (its process group) when the test ends.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cli, outputOf, SECRET, tempDir } from '../helpers.mjs';

/** Whether this machine lets a test make mount namespaces (root, with unshare). */
export function canHideFolders() {
  return spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;
}

const FILES = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@app/*': ['src/app/*'] } } }),
  'src/main.ts': [
    "import { sq, describe } from './lib';",
    "import { total } from './util';",
    "import { twice } from './twice.js';",
    "import { greet } from '@app/greet';",
    'const n: number = 7;',
    '[sq(n), describe(), total([1, 2, 3]), greet("crew"), twice(n)]',
    '',
  ].join('\n'),
  'src/lib.ts': [
    "import data from './data.json';",
    "import { tag } from 'cjs-pkg';",
    "import { shout } from 'esm-pkg';",
    "import { basename } from 'node:path';",
    'export const sq = (x: number): number => x * x;',
    'export function describe(): string {',
    '  return `${data.name}/${tag}/${shout("hi")}/${basename(__filename)}`;',
    '}',
    'export function fail(why: string): never {',
    '  throw new RangeError(`lib failed: ${why}`);',
    '}',
    '',
  ].join('\n'),
  'src/data.json': JSON.stringify({ name: 'data' }),
  'src/twice.ts': 'export const twice = (x: number) => 2 * x;\n',
  'src/util/index.ts': 'export const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n',
  'src/app/greet.ts': 'export const greet = (who: string) => `hello ${who}`;\n',
  'src/native.ts': "import addon from 'native-pkg';\nexport default addon;\n",
  'src/hosted.ts': [
    "import upper, { hostShout } from 'host-esm';",
    "import { tagged } from 'host-typed';",
    "import { hostTag } from 'host-cjs';",
    'export default `${upper("a")}/${hostShout("b")}/${tagged}/${hostTag}`;',
    '',
  ].join('\n'),
  'node_modules/cjs-pkg/package.json': JSON.stringify({ name: 'cjs-pkg', main: 'lib/index.js' }),
  'node_modules/cjs-pkg/lib/index.js': "exports.tag = 'cjs';\n",
  'node_modules/esm-pkg/package.json': JSON.stringify({
    name: 'esm-pkg',
    type: 'module',
    exports: { '.': { import: './dist/index.mjs' } },
  }),
  'node_modules/esm-pkg/dist/index.mjs':
    'import upper from "./upper.mjs";\nexport const shout = (s) => upper(s) + "!";\n',
  'node_modules/esm-pkg/dist/upper.mjs': 'export default (s) => s.toUpperCase();\n',
  'node_modules/native-pkg/package.json': JSON.stringify({ name: 'native-pkg', main: 'index.js' }),
  'node_modules/native-pkg/index.js': "module.exports = require('./build/Release/addon.node');\n",
  'node_modules/native-pkg/build/Release/addon.node': 'not really a shared object',
};

/**
 * Packages only the workers' hosts have, in their working directory: a CommonJS one, and ES
 * modules that Node's `require` cannot load (on Node 20, or by their `exports`).
 */
const HOST_FILES = {
  'node_modules/host-cjs/package.json': JSON.stringify({ name: 'host-cjs', main: 'index.js' }),
  'node_modules/host-cjs/index.js': "exports.hostTag = 'host-cjs';\n",
  'node_modules/host-esm/package.json': JSON.stringify({
    name: 'host-esm',
    type: 'module',
    exports: { '.': { import: './index.js' } },
  }),
  'node_modules/host-esm/index.js': [
    'export default (s) => s.toUpperCase();',
    'export const hostShout = (s) => s + "!";',
    '',
  ].join('\n'),
  'node_modules/host-typed/package.json': JSON.stringify({ name: 'host-typed', type: 'module', main: 'index.js' }),
  'node_modules/host-typed/index.js': 'export const tagged = "host-typed";\n',
  'node_modules/host-late/package.json': JSON.stringify({ name: 'host-late', exports: { import: './late.mjs' } }),
  'node_modules/host-late/late.mjs': 'export const late = "host-late";\n',
};

/** Writes `files` into `dir`. */
function writeFiles(dir, files) {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

/** Writes the project into a fresh folder; returns its folder and a function to write one of its files. */
export function makeProject() {
  const dir = tempDir();
  writeFiles(dir, FILES);
  return { dir, write: (file, text) => writeFiles(dir, { [file]: text }), path: (file) => join(dir, file) };
}

/**
 * A `crew worker` that cannot see `hidden`, in a working directory that has only the host's
 * own packages: it listens on a free port of loopback. Resolves
 * with its address, its pid, what it printed, and `stop()`, which ends its process group.
 */
export async function hiddenWorker(hidden) {
  const home = tempDir();
  const cwd = tempDir();
  writeFiles(cwd, HOST_FILES);
  const worker = `exec '${process.execPath}' '${cli}' worker --port 0`;
  const script = `mount -t tmpfs tmpfs '${hidden}' && cd '${cwd}' && ${worker}`;
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
    env: { PATH: process.env.PATH, HOME: home, CREW_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const printed = outputOf(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return; // gone already
    }
    await exited;
  };
  const port = await new Promise((resolve, reject) => {
    const check = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(printed.stdout);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', check);
    void exited.then((code) =>
      reject(new Error(`the hidden worker exited (${code}) before listening:\n${printed.stderr}`)),
    );
  });
  return { address: `127.0.0.1:${port}`, pid: child.pid, stop, home, output: () => printed.stdout + printed.stderr };
}
