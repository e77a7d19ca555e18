// crew launch --ssh against a real OpenSSH server: a private sshd on 127.0.0.1 with its own
// host key and a client key pair (scripts/sshd-local.sh, started here and stopped by its pid).
// Workers started through it join a listening master and map; the secret is in no process's
// arguments or environment, anywhere on the machine; SIGTERM or SIGINT on crew launch ends
// the remote workers and empties the pool.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { evalFormAllWorkers, parallelMap, startMaster } from 'crew';
import { cli, root, startCrew, tempDir, until } from '../helpers.mjs';

const script = join(root, 'scripts', 'sshd-local.sh');
const why =
  process.getuid?.() !== 0
    ? 'the ssh tier runs its own sshd, which logs in as root with a key made here: run as root'
    : spawnSync('sh', ['-c', 'PATH="$PATH:/usr/sbin"; command -v sshd && command -v ssh && command -v ssh-keygen'])
          .status !== 0
      ? 'OpenSSH is not installed (apt-get install openssh-server openssh-client; .ci/run does)'
      : undefined;

const dir = tempDir();
const sshDir = join(dir, 'sshd');
// A secret of this file's own: other tests on this machine may hold the shared test secret.
const secret = `crew-ssh-${randomBytes(16).toString('hex')}`;
const secretFile = join(dir, 'secret');
let sshConfig;

before(() => {
  if (why) return;
  writeFileSync(secretFile, secret, { mode: 0o600 });
  sshConfig = execFileSync('bash', [script, 'start', sshDir], { encoding: 'utf8' }).trim();
});
after(() => {
  if (sshConfig) execFileSync('bash', [script, 'stop', sshDir]);
});

const shq = (word) => `'${word.replace(/'/g, `'\\''`)}'`;
// The remote shell is this machine's, whose PATH (sshd sets its own) may not hold node.
const remoteCommand = `${shq(process.execPath)} ${shq(cli)}`;

/**
 * A listening master (its secret from a file) and `crew launch` starting workers on `hosts`;
 * with `bare`, crew launch is not told how to run Crew there.
 */
async function launch(hosts, workers, extra = [], { bare = false } = {}) {
  const pool = await startMaster({ secretFile, audit: { to: 'none' } });
  const { host, port, member } = pool.listenAddress;
  const launcher = await startCrew(
    [
      'launch',
      '--ssh',
      hosts,
      ...['--connect', `${host}:${port}`, '--member', member],
      ...['--secret-file', secretFile, '--ssh-config', sshConfig],
      ...(bare ? [] : ['--remote-command', remoteCommand]),
      ...extra,
    ],
    { env: { CREW_SECRET: '' } },
  );
  try {
    await until(() => pool.size === workers || launcher.child.exitCode !== null, {
      timeoutMs: 30_000,
      what: `${workers} workers to join over ssh`,
    });
    assert.equal(pool.size, workers, `crew launch ended early:\n${launcher.stderr}`);
  } catch (err) {
    await stop(launcher, pool);
    throw err;
  }
  return { pool, launcher };
}

async function stop(launcher, pool) {
  if (launcher.child.exitCode === null && launcher.child.signalCode === null) launcher.child.kill('SIGTERM');
  await launcher.exited;
  await pool.close();
}

/** The workers' process ids, from the workers themselves. */
const workerPids = (pool) => evalFormAllWorkers(pool, 'process.pid', { replayRequired: false });

/** A process's parent, from /proc; 0 once it is gone. */
function parentOf(pid) {
  try {
    return Number(
      readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ')[1],
    );
  } catch {
    return 0;
  }
}

function ancestors(pid) {
  const chain = [];
  for (let p = parentOf(pid); p > 1; p = parentOf(p)) chain.push(p);
  return chain;
}

/** Running, as opposed to gone or a zombie waiting for its parent. */
function running(pid) {
  try {
    return !/^\S+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every process on this machine whose arguments or environment hold `text`. */
function processesHolding(text) {
  const hits = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    for (const part of ['cmdline', 'environ']) {
      try {
        if (readFileSync(`/proc/${pid}/${part}`).includes(text))
          hits.push(`${pid} ${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()} (${part})`);
      } catch {
        // gone meanwhile, or a kernel thread
      }
    }
  }
  return hits;
}

test('two workers over ssh join a listening master and map, each under the sshd', { skip: why }, async () => {
  const { pool, launcher } = await launch('crew-test', 2, ['--per-host', '2']);
  try {
    assert.deepEqual(pool.workers.map((w) => w.name).sort(), ['crew-test-1', 'crew-test-2']);
    const list = Array.from({ length: 40 }, (_, i) => i);
    assert.deepEqual(
      await parallelMap(pool, (x) => `${x} * ${x} + 1`, list),
      list.map((x) => x * x + 1),
    );
    const sshd = Number(readFileSync(join(sshDir, 'sshd.pid'), 'utf8'));
    for (const pid of await workerPids(pool)) {
      const chain = ancestors(pid);
      assert.ok(chain.includes(sshd), `worker ${pid} runs under the sshd (${sshd}); its ancestors: ${chain}`);
      assert.ok(!chain.includes(launcher.child.pid), `worker ${pid} is not a child of crew launch`);
    }
    assert.match(launcher.stderr, /starting 2 workers on 1 host over ssh/);
  } finally {
    await stop(launcher, pool);
  }
});

test('the secret is in no process arguments or environment, the remote workers included', { skip: why }, async () => {
  const { pool, launcher } = await launch('crew-test', 2, ['--per-host', '2']);
  try {
    const pids = await workerPids(pool);
    for (const pid of pids) {
      // Readable, and the remote side's: sshd set the environment these workers got.
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      assert.match(environ, /(^|\0)SSH_CONNECTION=127\.0\.0\.1 /);
      assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /\0--secret-stdin\0/);
    }
    assert.deepEqual(await evalFormAllWorkers(pool, 'process.env.CREW_SECRET ?? null', { replayRequired: false }), [
      null,
      null,
    ]);
    assert.deepEqual(processesHolding(secret), [], 'no process has the secret in its arguments or environment');
  } finally {
    await stop(launcher, pool);
  }
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} on crew launch ends the remote workers and empties the pool`, { skip: why }, async () => {
    // Two hosts, as ssh names them (two aliases of the one sshd), one worker each.
    const { pool, launcher } = await launch('crew-test,crew-test-2', 2);
    try {
      assert.deepEqual(pool.workers.map((w) => w.name).sort(), ['crew-test-1', 'crew-test-2-1']);
      const pids = await workerPids(pool);
      assert.ok(pids.every(running));
      launcher.child.kill(signal);
      const exit = await launcher.exited;
      // Ctrl-C exits 130, as the exit-code table says; SIGTERM is a clean stop.
      assert.equal(exit.code, signal === 'SIGINT' ? 130 : 0, exit.stderr);
      await until(() => !pids.some(running), { timeoutMs: 15_000, what: `remote workers ${pids} to exit` });
      await until(() => pool.size === 0, { timeoutMs: 15_000, what: 'the pool to drop to 0' });
    } finally {
      await stop(launcher, pool);
    }
  });
}

// sshd gives a session its own PATH; the test's node must be on it, and crew must not be.
const bare = ['/usr/local/bin', '/usr/bin', '/bin'].includes(dirname(process.execPath))
  ? spawnSync('sh', ['-c', 'PATH=/usr/local/bin:/usr/bin:/bin command -v crew']).status === 0
    ? 'crew is installed on the PATH an ssh session gets'
    : undefined
  : `node is at ${process.execPath}, not on the PATH an ssh session gets`;

test(
  "a host with node but no crew gets this master's one-file worker over ssh, and keeps it",
  {
    skip: why || bare,
  },
  async () => {
    const cache = join(dir, 'remote-cache');
    for (const round of [1, 2]) {
      const { pool, launcher } = await launch('crew-test', 1, ['--remote-cache', cache], { bare: true });
      try {
        const [script] = await evalFormAllWorkers(pool, 'process.argv[1]', { replayRequired: false });
        assert.ok(script.startsWith(join(cache, 'remote', 'crew-worker-')), `the worker runs ${script}`);
        const sent = /sending Crew's worker \(\d+ KiB\): no crew there/.test(launcher.stdout);
        assert.equal(sent, round === 1, `round ${round}: ${launcher.stdout}`);
      } finally {
        await stop(launcher, pool);
      }
    }
  },
);
