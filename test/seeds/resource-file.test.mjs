// CL-MW's resource file: the master writes where it listens and its member id; workers read it.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { evalOn, startMaster } from 'crew';
import { runCrew, SECRET, startCrew, tempDir, until } from '../helpers.mjs';

async function master(resourceFile, lines = []) {
  return startMaster({ secret: SECRET, resourceFile, member: 'job-42', audit: { to: (l) => lines.push(l) } });
}

test('the master writes host, port, member id, time and pid, readable only by its owner', async () => {
  const file = join(tempDir(), 'job.rsc');
  const pool = await master(file);
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(data).sort(), ['host', 'member', 'pid', 'port', 'time']);
    assert.equal(data.host, '127.0.0.1');
    assert.equal(data.port, pool.listenAddress.port);
    assert.equal(data.member, 'job-42');
    assert.equal(data.pid, process.pid);
    assert.ok(Math.abs(Date.parse(data.time) - Date.now()) < 60_000, data.time);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  } finally {
    await pool.close();
  }
});

test('crew worker --resource-file joins the master named in the file', async () => {
  const file = join(tempDir(), 'job.rsc');
  const pool = await master(file);
  const worker = await startCrew(['worker', '--resource-file', file, '--name', 'from-file', '--audit-file', 'none']);
  try {
    await pool.waitForWorkers(1);
    assert.equal(pool.workers[0].name, 'from-file');
    assert.equal(await evalOn(pool, 'from-file', '6 * 7'), 42);
  } finally {
    await pool.close();
  }
  const exit = await worker.exited;
  assert.equal(exit.code, 0, 'the worker leaves when its master shuts the job down');
});

test('a worker of another job (different member id) is turned away', async () => {
  const dir = tempDir();
  const file = join(dir, 'job.rsc');
  const lines = [];
  const pool = await master(file, lines);
  const other = join(dir, 'other.rsc');
  writeFileSync(other, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), member: 'job-7' }), {
    mode: 0o600,
  });
  const worker = await startCrew(['worker', '--resource-file', other]);
  try {
    // The worker checks the member id in the master's hello and refuses to go on.
    await until(() => / refused /.test(worker.stderr), { timeoutMs: 10_000, what: 'the worker to refuse the master' });
    assert.match(worker.stderr, / refused .*member id job-42 does not match this job's job-7/);
    assert.ok(
      lines.some((l) => / refused /.test(l)),
      'the master records the failed attempt too',
    );
    assert.equal(pool.size, 0);
  } finally {
    worker.child.kill();
    await pool.close();
  }
});

test('a missing or malformed resource file is a clear error', async () => {
  const dir = tempDir();
  const missing = await runCrew(['worker', '--resource-file', join(dir, 'nope.rsc')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read the resource file .*nope\.rsc/);
  const bad = join(dir, 'bad.rsc');
  writeFileSync(bad, JSON.stringify({ host: 'localhost' }));
  const r = await runCrew(['worker', '--resource-file', bad]);
  assert.match(r.stderr, /the resource file .*bad\.rsc has no host and port/);
});
