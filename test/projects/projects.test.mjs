// Projects, not snippets: a TypeScript project of several modules and npm packages, evaluated
// on workers whose hosts cannot see it (a mount namespace hides its folder), gives what the
// master gives. Imports resolve as from the form's file on the master; the master ships the
// modules; a package only the workers' hosts have loads there, an ES module too; errors name
// the user's own files; an edit takes effect on the next evaluation; what cannot be shipped
// says so; a second master's session finds the code in the cache.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { after, before, test } from 'node:test';
import { connectWorkers, disconnectWorkers, ErrorCodes, evalFormAllWorkers, evalOn } from 'crew';
import { SECRET } from '../helpers.mjs';
import { canHideFolders, hiddenWorker, makeProject } from './project-fixture.mjs';

const skip = !canHideFolders() && 'this machine cannot make mount namespaces';
const project = makeProject();
let workers = [];
let pool;
const audit = [];

/** A master of its own on the hidden workers, its audit lines kept in `lines`. */
function masterOn(lines) {
  return connectWorkers(
    workers.map((w) => w.address),
    { secret: SECRET, audit: { to: (l) => lines.push(l) } },
  );
}

/** The modules a master sent its workers, by its audit trail. */
const sent = (lines) => lines.reduce((n, l) => n + Number(/\bmodules\b.*\bsent=(\d+)/.exec(l)?.[1] ?? 0), 0);

/** A form of the project's file `file`, as the editor sends it. */
const fileForm = (file, code = readFileSync(project.path(file), 'utf8')) => ({
  code,
  filename: project.path(file),
  line: 1,
});

const onAll = (form) => evalFormAllWorkers(pool, form, { replayRequired: false });

before(async () => {
  if (skip) return;
  workers = await Promise.all([hiddenWorker(project.dir), hiddenWorker(project.dir)]);
  pool = await masterOn(audit);
});
after(async () => {
  if (pool) await disconnectWorkers(pool);
  await Promise.all(workers.map((w) => w.stop()));
});

test('the workers cannot see the project, and run from elsewhere', { skip }, async () => {
  const seen = await onAll(
    `[require('node:fs').existsSync(${JSON.stringify(project.path('src/lib.ts'))}), process.cwd(), process.env.HOME]`,
  );
  for (const [visible, cwd, home] of seen) {
    assert.equal(visible, false, 'the project folder is hidden');
    assert.notEqual(cwd, process.cwd());
    assert.notEqual(home, process.env.HOME);
  }
});

test(
  'a project file that imports its modules and packages gives on each worker what it gives on the master',
  {
    skip,
  },
  async () => {
    const expected = [49, 'data/cjs/HI!/lib.ts', 6, 'hello crew', 14];
    assert.deepEqual(await evalOn(pool, null, fileForm('src/main.ts')), expected, 'on the master');
    assert.deepEqual(await onAll(fileForm('src/main.ts')), [expected, expected]);
    // A string form resolves from the master's working directory; require works as import does.
    const lib = `./${relative(process.cwd(), project.path('src/lib'))}`;
    assert.deepEqual(await onAll(`require(${JSON.stringify(lib)}).sq(3)`), [9, 9]);
  },
);

test("a notebook's cell imports from the notebook's folder", { skip }, async () => {
  const cell = `vscode-notebook-cell:${project.path('src/explore.ipynb')}#W0sZmlsZQ%3D%3D.ts`;
  assert.deepEqual(await onAll({ code: "import { sq } from './lib';\nsq(5)", filename: cell, line: 1 }), [25, 25]);
});

test('an error thrown in an imported module names its own file and line', { skip }, async () => {
  const err = await onAll(fileForm('src/main.ts', "import { fail } from './lib';\nfail('on purpose')")).then(
    () => assert.fail('the form should have thrown'),
    (e) => e,
  );
  assert.match(err.message, /lib failed: on purpose/);
  const top = err.frames?.[0] ?? err.errors?.[0]?.frames?.[0];
  assert.deepEqual([top.functionName, top.file, top.line], ['fail', project.path('src/lib.ts'), 10]);
});

test('a module that cannot be found, or shipped, is named, and the pool works on', { skip }, async () => {
  await assert.rejects(onAll(fileForm('src/main.ts', "import { x } from './nope';\nx")), (e) => {
    assert.equal(e.code, ErrorCodes.ModuleNotFound);
    assert.match(e.message, /\.\/nope/);
    assert.match(e.message, /src\/main\.ts:1/);
    return true;
  });
  await assert.rejects(onAll(fileForm('src/main.ts', "import addon from './native';\naddon")), (e) => {
    const first = e.errors?.[0] ?? e;
    assert.equal(first.code, ErrorCodes.ModuleNotFound, e.message);
    assert.match(first.message, /native-pkg/);
    assert.match(first.message, /native addon .*install native-pkg on the workers/);
    return true;
  });
  assert.deepEqual(await onAll('6 * 7'), [42, 42]);
});

test("packages only the workers' hosts have load there, ES-module-only ones too", { skip }, async () => {
  // The master has none of them: the shipped module and the form both leave them to the hosts.
  const form = (code) => fileForm('src/main.ts', code);
  const hosted = 'A/b!/host-typed/host-cjs';
  assert.deepEqual(await onAll(form("import hosted from './hosted';\nhosted")), [hosted, hosted]);
  assert.deepEqual(await onAll(form("import { hostShout } from 'host-esm';\nhostShout('c')")), ['c!', 'c!']);
  // A require() cannot load an ES module the form did not import: it says so, and how to.
  await assert.rejects(onAll("require('host-late').late"), (e) => {
    const first = e.errors?.[0] ?? e;
    assert.equal(first.code, ErrorCodes.ModuleNotShippable, e.message);
    assert.match(first.message, /"host-late" on this worker's host is an ES module.*import it in a form/);
    return true;
  });
  assert.deepEqual(await onAll(form("import { late } from 'host-late';\nlate")), ['host-late', 'host-late']);
});

test('an edit to an imported module takes effect on the next evaluation', { skip }, async () => {
  const form = fileForm('src/main.ts', "import { sq } from './lib';\nsq(3)");
  assert.deepEqual(await onAll(form), [9, 9]);
  const before = readFileSync(project.path('src/lib.ts'), 'utf8');
  try {
    project.write('src/lib.ts', before.replace('x * x', 'x * x * x'));
    assert.deepEqual(await onAll(form), [27, 27]);
  } finally {
    project.write('src/lib.ts', before);
  }
  assert.deepEqual(await onAll(form), [9, 9]);
});

test("a second master's session on the same workers fetches no module the workers already hold", { skip }, async () => {
  assert.ok(sent(audit) > 0, 'the first master sent modules');
  const lines = [];
  const second = await masterOn(lines);
  try {
    const expected = [49, 'data/cjs/HI!/lib.ts', 6, 'hello crew', 14];
    assert.deepEqual(await evalFormAllWorkers(second, fileForm('src/main.ts'), { replayRequired: false }), [
      expected,
      expected,
    ]);
    assert.equal(sent(lines), 0, `modules sent again:\n${lines.filter((l) => /modules/.test(l)).join('\n')}`);
  } finally {
    await disconnectWorkers(second);
  }
});
