// The secret in the workers' environment: local workers were started with CREW_SECRET set
// (copied from the master's, or put there), so the user code they run, and every process
// that code starts, could read it and then command any worker of the user's. Local workers
// now get the secret on their stdin pipe, and a worker removes CREW_SECRET from its
// environment as soon as it has read it, before any user code runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { evalOn, startMaster } from 'crew';
import { cli, root, tempDir } from '../helpers.mjs';

const children = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
});

// What user code on a worker can see: its own environment, a child process's, and (on
// Linux) the environment and command line the worker process was started with.
const PROBE = `(() => {
  const { execSync } = require('node:child_process');
  const fs = require('node:fs');
  const proc = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'latin1') : '');
  return {
    env: process.env.CREW_SECRET ?? null,
    child: execSync('env', { encoding: 'utf8' }),
    environ: proc('/proc/self/environ'),
    cmdline: proc('/proc/self/cmdline'),
  };
})()`;

/** Runs `fn` with CREW_SECRET set to `value` (or removed), then puts it back. */
async function withEnvSecret(value, fn) {
  const saved = process.env.CREW_SECRET;
  if (value === undefined) delete process.env.CREW_SECRET;
  else process.env.CREW_SECRET = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.CREW_SECRET;
    else process.env.CREW_SECRET = saved;
  }
}

function assertHidden(seen, secret, { environ = true } = {}) {
  assert.equal(seen.env, null, 'process.env.CREW_SECRET on the eval thread');
  assert.doesNotMatch(seen.child, /CREW_SECRET/, "a child process's environment");
  assert.ok(!seen.child.includes(secret), "the secret in a child process's environment");
  assert.ok(!seen.cmdline.includes(secret), "the secret in the worker's command line");
  if (environ) assert.ok(!seen.environ.includes(secret), "the secret in the worker's starting environment");
}

test('local workers of a master that got its secret from CREW_SECRET do not pass it to user code', async () => {
  const secret = randomBytes(24).toString('hex');
  const pool = await withEnvSecret(secret, () => startMaster({ local: 2, audit: { to: 'none' } }));
  try {
    for (const w of pool.workers) assertHidden(await evalOn(pool, w.name, PROBE), secret);
  } finally {
    await pool.close();
  }
});

test('local workers of a master that got its secret from a file do not see it in their environment', async () => {
  const secret = randomBytes(24).toString('hex');
  const secretFile = join(tempDir(), 'secret');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const pool = await withEnvSecret(undefined, () => startMaster({ local: 1, secretFile, audit: { to: 'none' } }));
  try {
    assertHidden(await evalOn(pool, null, PROBE), secret);
  } finally {
    await pool.close();
  }
});

// A worker started by hand with CREW_SECRET keeps it in its own starting environment
// (/proc/self/environ: only a new process could drop that), but its user code's
// process.env and the processes that code starts no longer have it.
for (const [how, entry] of [
  ['crew worker', [cli, 'worker']],
  ['the worker-process entry (its eval thread starts early)', [join(root, 'dist', 'worker-process.js')]],
]) {
  test(`${how} started with CREW_SECRET removes it before user code runs`, async () => {
    const secret = randomBytes(24).toString('hex');
    const pool = await startMaster({ secret, audit: { to: 'none' } });
    const child = spawn(
      process.execPath,
      [...entry, '--connect', `127.0.0.1:${pool.listenAddress.port}`, '--name', 'by-hand', '--audit-file', 'none'],
      { env: { ...process.env, CREW_SECRET: secret }, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(child);
    try {
      await pool.waitForWorkers(1, 15_000);
      assertHidden(await evalOn(pool, 'by-hand', PROBE), secret, { environ: false });
    } finally {
      await pool.close();
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }
  });
}
