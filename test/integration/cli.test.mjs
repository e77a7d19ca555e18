// The `crew` command as a user runs it: help, exit codes, the master REPL and `crew run`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCrew, startCrew, tempDir, root, until } from '../helpers.mjs';

test('crew --help lists the commands and the exit codes', async () => {
  const r = await runCrew(['--help']);
  assert.equal(r.code, 0);
  for (const word of ['crew master', 'crew worker', 'crew run', 'Exit codes']) assert.ok(r.stdout.includes(word), word);
  for (const cmd of ['master', 'worker', 'run']) {
    const h = await runCrew([cmd, '--help']);
    assert.equal(h.code, 0, `${cmd} --help`);
    assert.match(h.stdout, /Usage: crew/);
  }
});

test('bad usage exits 2 with a message that names the problem', async () => {
  const unknown = await runCrew(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const worker = await runCrew(['worker']);
  assert.equal(worker.code, 2);
  assert.match(worker.stderr, /exactly one of --port, --connect or --resource-file/);
  const badPort = await runCrew(['worker', '--port', 'abc']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /--port must be a whole number/);
  const noSessions = await runCrew(['worker', '--port', '0', '--max-sessions', '0']);
  assert.equal(noSessions.code, 2);
  assert.match(noSessions.stderr, /--max-sessions must be a whole number >= 1, got "0"/);
  const badAddress = await runCrew(['worker', '--connect', 'nowhere']);
  assert.equal(badAddress.code, 2);
  assert.match(badAddress.stderr, /"nowhere" is not host:port/);
});

test('the master REPL evaluates on two local workers, with top-level await there and in forms', async () => {
  const lines = [
    'await parallelMap(pool, x => `${x} * ${x}`, [1,2,3])',
    'pool.size',
    'await evalFormAllWorkers(pool, "function twice(x) { return 2 * x }; 0")',
    'await evalOn(pool, "w2", "twice(21)")',
    'await evalOn(pool, null, "throw new RangeError(\\"nope\\")").catch(e => e.stack)',
    'await evalOn(pool, "w1", "import { join } from \\"node:path\\"; ' +
      'const parts = await Promise.resolve([\\"a\\", \\"b\\"]); ' +
      'join(...parts)")',
  ];
  // Type one line at a time, as a person does: each after the previous prompt came back.
  const p = await startCrew(['master', '--local', '2', '--audit-file', 'none']);
  const prompts = (n) =>
    until(() => (p.stdout.match(/crew> /g) ?? []).length >= n, { timeoutMs: 30_000, what: `prompt ${n} of the REPL` });
  for (let i = 0; i < lines.length; i++) {
    await prompts(i + 1);
    p.child.stdin.write(lines[i] + '\n');
  }
  await prompts(lines.length + 1);
  p.child.stdin.end('.exit\n');
  const r = await p.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Crew master with 2 workers/);
  assert.match(r.stdout, /\[ 1, 4, 9 \]/);
  assert.match(r.stdout, /crew> 2\n/);
  assert.match(r.stdout, /crew> 42\n/);
  assert.match(r.stdout, /RangeError on w\d: nope/);
  assert.match(r.stdout, /crew> 'a\/b'\n/);
  // Node calls the loader behind import() in forms experimental; that is not the user's news.
  assert.doesNotMatch(r.stdout + r.stderr, /ExperimentalWarning/);
});

test('crew run runs a TypeScript driver script against a pool, with mapped errors', async () => {
  const dir = tempDir();
  const ok = join(dir, 'driver.ts');
  writeFileSync(
    ok,
    [
      "import { parallelMap, form, type WorkerPool } from 'crew';",
      'export default async function main(pool: WorkerPool): Promise<void> {',
      '  const squares: unknown[] = await parallelMap(pool, form((x: number) => x * x), [1, 2, 3, 4]);',
      "  console.log('squares', JSON.stringify(squares), 'workers', pool.size);",
      '}',
    ].join('\n'),
  );
  const r = await runCrew(['run', ok, '--local', '2', '--audit-file', 'none'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /squares \[1,4,9,16\] workers 2/);

  const bad = join(dir, 'bad.ts');
  writeFileSync(
    bad,
    [
      'const n: number = 3;',
      'await evalOn(pool, null, { code: "function f(q: ' +
        'number) {\\n  throw new Error(`bad ${q}`)\\n}\\nf(7)", filename: ' +
        '"/src/remote.ts", line: 30 });',
      'console.log(n);',
    ].join('\n'),
  );
  const b = await runCrew(['run', bad, '--local', '1', '--audit-file', 'none']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /Error on w1: bad 7/);
  assert.match(b.stderr, /at f \(\/src\/remote\.ts:31:/);

  const broken = join(dir, 'broken.ts');
  writeFileSync(broken, 'let x: number = ;\n');
  const s = await runCrew(['run', broken, '--local', '1', '--audit-file', 'none']);
  assert.equal(s.code, 1);
  assert.match(s.stderr, /broken\.ts:1:17: Unexpected ";"/);
});

test('crew master says on the terminal which workers it could not reach, and why', async () => {
  const p = await startCrew(['master', '--workers', '127.0.0.1:9', '--audit-file', 'none'], {
    readyPattern: /crew> /,
  });
  try {
    assert.match(p.stdout, /Crew master with 0 of 1 worker \(none\)/);
    assert.match(
      p.stdout,
      /not connected: cannot connect to worker 127\.0\.0\.1:9: connection refused .*Is `crew worker --port 9` running on 127\.0\.0\.1/,
    );
    p.child.stdin.end('.exit\n');
    await p.exited;
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGTERM');
  }
});
