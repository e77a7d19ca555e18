// The same worker listed twice, or added again, is connected once: no loop of links replacing
// each other, and every call settles.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addWorkers, connectWorkers, ErrorCodes, evalOn } from 'crew';
import { SECRET, startCrew, tempDir } from '../helpers.mjs';

/** A listening `crew worker` for one test; stopped by its pid at the end. */
async function listeningWorker(t) {
  const w = await startCrew(['worker', '--port', '0', '--audit-file', 'none'], {
    readyPattern: /listening on 127\.0\.0\.1:(\d+)/,
  });
  t.after(async () => {
    w.child.kill('SIGTERM');
    await w.exited;
  });
  return { address: `127.0.0.1:${w.match[1]}`, port: w.match[1], pid: w.child.pid };
}

test('crew run --workers with the same worker twice runs the script on it once', async (t) => {
  const worker = await listeningWorker(t);
  const dir = tempDir();
  const script = join(dir, 'twice.ts');
  writeFileSync(
    script,
    "import { evalOn, type WorkerPool } from 'crew';\n" +
      'export default async function main(pool: WorkerPool) {\n' +
      "  console.log('size', pool.size, 'pid', await evalOn(pool, null, 'process.pid'));\n" +
      '}\n',
  );
  // Before, each link replaced the other about every 100 ms and the script never started.
  const run = await startCrew(['run', script, '--workers', `${worker.address},${worker.address}`]);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
  const r = await run.exited;
  clearTimeout(timer);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`size 1 pid ${worker.pid}\\b`));
  assert.doesNotMatch(r.stderr, /replaced by a new connection/);
});

test('addWorkers for a worker already in the pool settles, and the pool keeps one link to it', async (t) => {
  const worker = await listeningWorker(t);
  const lines = [];
  const pool = await connectWorkers([worker.address], { secret: SECRET, audit: { to: (l) => lines.push(l) } });
  try {
    await addWorkers(pool, [worker.address]);
    assert.equal(pool.size, 1);
    assert.equal(await evalOn(pool, null, 'process.pid'), worker.pid);
    assert.ok(!lines.some((l) => /replaced by a new connection/.test(l)), lines.join('\n'));
  } finally {
    await pool.close();
  }
});

test('one worker under two addresses is connected once; the second is refused, naming the first', async (t) => {
  const worker = await listeningWorker(t);
  const alias = `[::ffff:127.0.0.1]:${worker.port}`;
  const pool = await connectWorkers([worker.address, alias], { secret: SECRET, audit: { to: 'none' } });
  try {
    assert.equal(pool.size, 1);
    assert.equal(pool.connectErrors.length, 1);
    const [err] = pool.connectErrors;
    assert.equal(err.code, ErrorCodes.ConnectFailed);
    assert.match(err.message, /already/);
    assert.doesNotMatch(err.message, /secrets differ/);
    assert.equal(await evalOn(pool, null, 'process.pid'), worker.pid);
  } finally {
    await pool.close();
  }
});
