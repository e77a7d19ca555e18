// A worker whose job is about to end leaves on purpose (`crew worker --lifetime`, as Slurm's
// end time does on a cluster): it tells the master, hands back the tasks it has not started,
// finishes the one running and closes cleanly. A map across the leave loses nothing, runs
// nothing twice and blames no task, even with a single strike allowed.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { disconnectWorkers, parallelMap, startMaster } from 'crew';
import { tempDir } from '../helpers.mjs';
import { auditTrail, killHard, newSecret, startWorkerProcess, until } from './helpers.mjs';

const secret = newSecret();
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A task that records that it ran (one line per run) and answers 3x after a short wait. */
const recordingTask = (file) => (x) =>
  `require('node:fs').appendFileSync(${JSON.stringify(file)}, '${x}\\n');` +
  `new Promise((r) => setTimeout(() => r(${x} * 3), 30))`;

test('a worker whose job ends leaves mid-map: each result once, handed back with no strike, and says why', async () => {
  const audit = auditTrail();
  // One strike marks a task bad: a leave counted as a death would fail the map.
  const pool = await startMaster({ local: 1, secret, audit: audit.options, taskGroup: 4, maxTaskWorkerKills: 1 });
  cleanups.push(() => disconnectWorkers(pool));
  const { port, member } = pool.listenAddress;
  const leaver = await startWorkerProcess({
    secret,
    mode: ['--connect', `127.0.0.1:${port}`],
    name: 'short-job',
    extra: ['--member', member, '--lifetime', '5', '--lifetime-margin', '2'],
  });
  cleanups.push(() => killHard(leaver.child));
  await until(() => pool.size === 2, { timeoutMs: 20_000, what: 'both workers to join' });
  const runs = join(tempDir(), 'runs');
  writeFileSync(runs, '');
  const list = Array.from({ length: 200 }, (_, i) => i);
  let done = false;
  const map = parallelMap(pool, recordingTask(runs), list).finally(() => (done = true));
  const left = await audit.lines.waitFor(/ leaving worker=\S+ /, 30_000);
  assert.ok(!done, 'the worker left while the map was running');
  assert.match(left.text, /reason="its lifetime \(--lifetime 5\) ends at \S+ \(in \d+ s\)"/);
  assert.match(left.text, /handedBack=[1-9]/, 'it handed back tasks it had queued');
  assert.deepEqual(
    await map,
    list.map((x) => x * 3),
  );
  const counts = new Map();
  for (const line of readFileSync(runs, 'utf8').split('\n').filter(Boolean))
    counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
  assert.equal(counts.size, list.length, 'every task ran');
  assert.deepEqual(
    [...counts].filter(([, n]) => n !== 1),
    [],
    'and none ran twice',
  );
  const exit = await new Promise((r) =>
    leaver.child.exitCode !== null ? r(leaver.child.exitCode) : leaver.child.once('exit', r),
  );
  assert.equal(exit, 0, 'the worker that left exits 0');
  await leaver.out.waitFor(/ leaving master=\S+ reason="its lifetime .* ends at /, 1000);
  assert.equal(audit.lines.count(/task-bad /), 0);
  assert.equal(pool.size, 1);
});

test('bad --lifetime and --lifetime-margin values are refused by name', async () => {
  for (const [flag, value] of [
    ['--lifetime', '0'],
    ['--lifetime-margin', 'soon'],
  ]) {
    const w = await startWorkerProcess({ secret, mode: ['--connect', '127.0.0.1:9'], extra: [flag, value] });
    const code = await new Promise((r) => w.child.once('exit', r));
    assert.equal(code, 2);
    await w.out.waitFor(new RegExp(`${flag} must be a whole number`), 1000);
  }
});
