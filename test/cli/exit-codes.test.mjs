// The exit codes of the table in `crew --help` and the README, as a user meets them: bad usage
// exits 2, what cannot start exits 3 with a message and no stack, Ctrl-C exits 130.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startMaster } from 'crew';
import { cli, root, runCrew, SECRET, startCrew, tempDir } from '../helpers.mjs';

/** A script for `crew run` that says when it runs. */
function aScript() {
  const script = join(tempDir(), 'script.ts');
  writeFileSync(script, "console.log('the script ran');\n");
  return script;
}

/** No raw Node stack reaches the user. */
function noStack(stderr) {
  assert.doesNotMatch(stderr, /^\s+at .*:\d+:\d+\)?$/m, stderr);
  assert.doesNotMatch(stderr, /Unhandled 'error' event|RangeError|ERR_SOCKET_BAD_PORT/, stderr);
}

test('bad usage exits 2: a port out of range, a malformed host:port', async () => {
  for (const args of [
    ['worker', '--port', '99999'],
    ['master', '--port', '70000', '--local', '0'],
    ['lsp', '--port', '99999'],
  ]) {
    const r = await runCrew(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--port must be a port from 0 to 65535, got "\d+"/);
    noStack(r.stderr);
  }
  for (const [args, option] of [
    [['master', '--workers', 'nohostport'], 'workers'],
    [['run', aScript(), '--workers', '127.0.0.1:1,nohostport'], 'workers'],
    [['worker', '--connect', 'nohostport'], 'connect'],
    [['launch', '--ssh', 'h1', '--connect', 'nohostport'], 'connect'],
  ]) {
    const r = await runCrew(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--${option}: "nohostport" is not host:port`));
    noStack(r.stderr);
  }
});

test('an audit file that cannot be opened exits 3, naming the file', async () => {
  const bad = join(tempDir(), 'no-such-folder', 'audit.log');
  for (const args of [
    ['worker', '--port', '0'],
    ['master', '--local', '0'],
    ['run', aScript(), '--local', '0'],
  ]) {
    const r = await runCrew([...args, '--audit-file', bad], { input: '' });
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /cannot open the audit file .*audit\.log: ENOENT/);
    noStack(r.stderr);
  }
});

test('a port already in use exits 3 and says so: worker, master and run', async (t) => {
  const holder = createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  t.after(() => holder.close());
  const port = String(holder.address().port);
  const script = aScript();
  for (const args of [
    ['worker', '--port', port],
    ['master', '--port', port, '--local', '0'],
    ['run', script, '--port', port, '--local', '0'],
  ]) {
    const r = await runCrew([...args, '--audit-file', 'none'], { input: '' });
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*the port is in use`));
    assert.doesNotMatch(r.stdout, /the script ran/);
    noStack(r.stderr);
  }
});

test('Ctrl-C on crew worker exits 130', async () => {
  const w = await startCrew(['worker', '--port', '0', '--audit-file', 'none'], { readyPattern: /listening on/ });
  w.child.kill('SIGINT');
  const r = await w.exited;
  assert.equal(r.code, 130, `${r.signal} ${r.stderr}`);
});

test('Ctrl-C on crew launch stops its workers and exits 130', async () => {
  const pool = await startMaster({ secret: SECRET, audit: { to: 'none' } });
  try {
    const { port } = pool.listenAddress;
    const launcher = await startCrew(
      [
        'launch',
        '--ssh',
        'localhost',
        '--connect',
        `127.0.0.1:${port}`,
        '--ssh-command',
        join(root, 'test/seeds/fixtures/fake-ssh.sh'),
        '--remote-command',
        `${process.execPath} ${cli}`,
      ],
      { env: { FAKE_SSH_LOG: join(tempDir(), 'ssh.log') } },
    );
    await pool.waitForWorkers(1, 30_000);
    launcher.child.kill('SIGINT');
    const r = await launcher.exited;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /starting 1 worker on 1 host over ssh/);
  } finally {
    await pool.close();
  }
});
