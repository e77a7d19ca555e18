// crew launch --ssh: workers started over ssh dial the master; the secret goes over the
// channel's stdin, never in the arguments or the environment. ssh itself is replaced by a
// script that records what it is given and runs the remote command here; test/ssh/ runs the
// same against a real sshd.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { evalOn, startMaster } from 'crew';
import { cli, root, runCrew, SECRET, startCrew, tempDir, until } from '../helpers.mjs';

const fakeSsh = join(root, 'test/seeds/fixtures/fake-ssh.sh');

test('crew launch starts a worker per host over ssh, with the secret only on stdin', async () => {
  const dir = tempDir();
  const rsc = join(dir, 'job.rsc');
  const log = join(dir, 'ssh.log');
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(sshConfig, 'Host *\n  ServerAliveInterval 15\n');
  const pool = await startMaster({ secret: SECRET, resourceFile: rsc, audit: { to: 'none' } });
  const launcher = await startCrew(
    [
      'launch',
      '--ssh',
      'alice@localhost,127.0.0.1',
      '--resource-file',
      rsc,
      '--ssh-command',
      fakeSsh,
      '--ssh-config',
      sshConfig,
      '--ssh-arg=-p2222',
      '--ssh-arg=-oConnectTimeout=9',
      '--remote-command',
      `${process.execPath} ${cli}`,
    ],
    { env: { FAKE_SSH_LOG: log } },
  );
  try {
    await pool.waitForWorkers(2, 30_000);
    assert.deepEqual(pool.workers.map((w) => w.name).sort(), ['127.0.0.1-1', 'localhost-1']);
    assert.equal(await evalOn(pool, 'localhost-1', '6 * 7'), 42);
    const recorded = readFileSync(log, 'utf8');
    assert.ok(!recorded.includes(SECRET), 'the secret is neither an argument nor in the environment of ssh');
    assert.match(recorded, /^ARG alice@localhost$/m);
    assert.match(
      recorded,
      /^ARG .* worker --connect 127\.0\.0\.1:\d+ --name localhost-1 --secret-stdin --exit-with-parent --member \w+$/m,
    );
    // The defaults, then --ssh-config and each --ssh-arg, all before the host.
    const options = ['-T', '-o', 'BatchMode=yes', '-F', sshConfig, '-p2222', '-oConnectTimeout=9', 'alice@localhost'];
    assert.ok(recorded.includes(options.map((a) => `ARG ${a}\n`).join('')), recorded);
  } finally {
    launcher.child.kill('SIGTERM');
  }
  const exit = await launcher.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.match(exit.stderr, /starting 2 workers on 2 hosts over ssh/);
  // Closing the channel ends the remote workers.
  await until(() => pool.size === 0, { timeoutMs: 10_000, what: 'the remote workers to leave the pool' });
  assert.equal(pool.size, 0);
  await pool.close();
});

test('crew launch refuses bad input with clear errors', async () => {
  const none = await runCrew(['launch', '--connect', '127.0.0.1:4005']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs --ssh host1,host2/);
  const both = await runCrew(['launch', '--ssh', 'h', '--connect', '127.0.0.1:1', '--resource-file', 'x']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /exactly one of --connect or --resource-file/);
  const badAddress = await runCrew(['launch', '--ssh', 'h', '--connect', 'nowhere']);
  assert.match(badAddress.stderr, /"nowhere" is not host:port/);
  const noSsh = await runCrew([
    'launch',
    '--ssh',
    'h',
    '--connect',
    '127.0.0.1:1',
    '--ssh-command',
    join(tempDir(), 'no-such-ssh'),
  ]);
  assert.equal(noSsh.code, 3);
  assert.match(noSsh.stderr, /cannot run the ssh command ".*no-such-ssh": spawn .* ENOENT/);
  const flag = await runCrew(['launch', '--ssh=-oProxyCommand=x', '--connect', '127.0.0.1:1']);
  assert.match(flag.stderr, /"-oProxyCommand=x" is not a host name/);
  const noConfig = await runCrew(['launch', '--ssh', 'h', '--connect', '127.0.0.1:1', '--ssh-config', 'no-such-file']);
  assert.equal(noConfig.code, 1);
  assert.match(noConfig.stderr, /cannot read the ssh config file no-such-file: ENOENT/);
  const loneWord = await runCrew(['launch', '--ssh', 'h', '--connect', '127.0.0.1:1', '--ssh-arg', '2222']);
  assert.equal(loneWord.code, 2);
  assert.match(loneWord.stderr, /--ssh-arg "2222" is not an ssh option; give an option and its value as one word/);
  const twoEngines = await runCrew(['launch', '--ssh', 'h', '--slurm', '2', '--connect', '127.0.0.1:1']);
  assert.equal(twoEngines.code, 2);
  assert.match(twoEngines.stderr, /--ssh host1,host2 or --slurm N \(exactly one of them\)/);
  const keepOverSsh = await runCrew(['launch', '--ssh', 'h', '--keep', '--connect', '127.0.0.1:1']);
  assert.equal(keepOverSsh.code, 2);
  assert.match(keepOverSsh.stderr, /--keep and --lifetime-margin are for Slurm workers \(--slurm N\), not --ssh/);
  const keepAlone = await runCrew(['master', '--keep', '--local', '0']);
  assert.equal(keepAlone.code, 2);
  assert.match(keepAlone.stderr, /--keep and --lifetime-margin are for Slurm workers: give --slurm N too/);
  const badMargin = await runCrew(['launch', '--slurm', '1', '--lifetime-margin', 'soon', '--connect', '127.0.0.1:1']);
  assert.equal(badMargin.code, 2);
  assert.match(badMargin.stderr, /--lifetime-margin must be a whole number >= 0, got "soon"/);
  const noWorkers = await runCrew(['launch', '--slurm', '0', '--connect', '127.0.0.1:1']);
  assert.equal(noWorkers.code, 2);
  assert.match(noWorkers.stderr, /--slurm/);
  const inline = await runCrew(['launch', '--slurm', '1', '--connect', '127.0.0.1:1'], {
    env: { CREW_SECRET: SECRET },
  });
  assert.match(inline.stderr, /read the secret from a file .*give --secret-file/);
});

test('crew worker --secret-stdin takes the secret from the first line of stdin', async () => {
  const pool = await startMaster({ secret: SECRET, audit: { to: 'none' } });
  const { port } = pool.listenAddress;
  const worker = await startCrew(
    ['worker', '--connect', `127.0.0.1:${port}`, '--secret-stdin', '--exit-with-parent', '--audit-file', 'none'],
    { env: { CREW_SECRET: '' } },
  );
  try {
    worker.child.stdin.write(`${SECRET}\n`);
    await pool.waitForWorkers(1, 30_000);
    assert.equal(await evalOn(pool, null, '"in"'), 'in');
  } finally {
    worker.child.stdin.end();
  }
  assert.equal((await worker.exited).code, 0, 'the worker leaves when stdin closes');
  await pool.close();
  const early = await startCrew(
    ['worker', '--connect', `127.0.0.1:${port}`, '--secret-stdin', '--audit-file', 'none'],
    { env: { CREW_SECRET: '' } },
  );
  early.child.stdin.end();
  const r = await early.exited;
  assert.equal(r.code, 3);
  assert.match(r.stderr, /stdin ended before a secret line arrived/);
});
