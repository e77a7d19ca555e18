// Progress of long runs of work: sampled from the pool, drawn as a bar on a terminal line.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatBar, parallelMap, showProgress, trackProgress } from 'crew';
import { runCrew, sharedPool, tempDir, until } from '../helpers.mjs';

const shared = sharedPool(2);

const slowMap = (n) =>
  parallelMap(
    shared.pool,
    (i) => `new Promise((r) => setTimeout(() => r(${i}), 25))`,
    Array.from({ length: n }, (_, i) => i),
  );

test('trackProgress reports done and total during a run, and undefined when it ends', async () => {
  const samples = [];
  const stop = trackProgress(shared.pool, (p) => samples.push(p), { intervalMs: 10, delayMs: 0 });
  await slowMap(24);
  await until(() => samples.at(-1) === undefined, { timeoutMs: 5000, what: 'the report that the run ended' });
  stop();
  const seen = samples.filter(Boolean);
  assert.ok(seen.length >= 2, `samples: ${seen.length}`);
  for (const p of seen) {
    assert.equal(p.total, 24);
    assert.ok(p.done >= 0 && p.done <= 24);
    assert.equal(p.workers, 2);
  }
  assert.ok(seen.at(-1).done >= seen[0].done, 'done only grows');
  assert.equal(samples.at(-1), undefined, 'the end of the run is reported');
});

test('a run that began between two samples counts the tasks it finished before the first one', async (t) => {
  // The sampling clock is the test's: the first sample is taken once 10 tasks are done and
  // the other 50 wait for a file, so the run began between two samples, whatever the load.
  t.mock.timers.enable({ apis: ['setInterval'] });
  const gate = join(tempDir(), 'open');
  const samples = [];
  const stop = trackProgress(shared.pool, (p) => samples.push(p), { intervalMs: 300, delayMs: 0 });
  try {
    // One form for every element, so that all 60 tasks are made at once.
    const run = parallelMap(
      shared.pool,
      `(i) => i < 10 ? i : new Promise((r) => {
        const open = () => require('node:fs').existsSync(${JSON.stringify(gate)});
        const t = setInterval(() => open() && (clearInterval(t), r(i)), 5);
      })`,
      Array.from({ length: 60 }, (_, i) => i),
    );
    const done = () => shared.pool.workers.reduce((n, w) => n + w.tasksDone, 0);
    const before = done();
    await until(() => done() - before >= 10, { timeoutMs: 30_000, what: 'the 10 ungated tasks to finish' });
    t.mock.timers.tick(300);
    writeFileSync(gate, '');
    assert.deepEqual(
      await run,
      Array.from({ length: 60 }, (_, i) => i),
    );
    t.mock.timers.tick(300);
  } finally {
    stop();
  }
  const seen = samples.filter(Boolean);
  assert.ok(seen.length >= 1, `samples: ${seen.length}`);
  assert.equal(seen[0].done, 10, 'the first sample counts the tasks finished before it');
  assert.equal(seen[0].total, 60);
  assert.equal(samples.at(-1), undefined, 'the end of the run is reported');
});

test('showProgress draws a bar on one line and clears it; short runs draw nothing', async () => {
  let out = '';
  const stream = { columns: 100, write: (s) => (out += s) };
  const hide = showProgress(shared.pool, { stream, intervalMs: 10, delayMs: 0 });
  await slowMap(20);
  await until(() => out.endsWith('\r\x1b[K'), { timeoutMs: 5000, what: 'the bar to be cleared at the end of the run' });
  hide();
  // eslint-disable-next-line no-control-regex, no-regex-spaces -- the bar's text as printed, escapes included
  assert.match(out, /\r\[[#.]+\] +\d+\/20 tasks +\d+%  2 workers  \d+\.\d s\x1b\[K/);
  assert.ok(out.endsWith('\r\x1b[K'), 'the bar is cleared at the end');

  out = '';
  const hide2 = showProgress(shared.pool, { stream, intervalMs: 10, delayMs: 60_000 });
  await slowMap(4);
  hide2();
  assert.equal(out, '');
});

test('formatBar fits the terminal width', () => {
  const line = formatBar({ done: 50, total: 200, workers: 3, elapsedMs: 1500 }, 60);
  assert.equal(line, '[#####................] 50/200 tasks  25%  3 workers  1.5 s');
  assert.ok(line.length <= 60);
  // eslint-disable-next-line no-regex-spaces -- the bar's text as printed
  assert.match(formatBar({ done: 0, total: 0, workers: 1, elapsedMs: 0 }), /\[\.+\] 0\/0 tasks   0%  1 worker  0\.0 s/);
});

test('crew run --progress draws the bar on stderr, and stdout stays clean', async () => {
  const script = join(tempDir(), 'long.ts');
  writeFileSync(
    script,
    `import { parallelMap } from 'crew';
export default async function (pool) {
  const r = await parallelMap(pool, (i) => \`new Promise((r) => setTimeout(() => r(\${i}), ` +
      `40))\`, Array.from({ length: 40 }, (_, i) => i));
  console.log(r.length);
}
`,
  );
  const r = await runCrew(['run', script, '--local', '2', '--progress', '--audit-file', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '40\n');
  assert.match(r.stderr, /\[[#.]+\] +\d+\/40 tasks/);
});
