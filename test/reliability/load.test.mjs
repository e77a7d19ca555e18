// 1,000,000 tiny tasks through parallelMap on 2 local workers: every result correct, and
// the master's memory grows with the input and the results, not with the tasks in between.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { newSecret, record, root } from './helpers.mjs';
import { scaled } from '../time-scale.mjs';

const N = 1_000_000;
const run = async (...args) => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', join(root, 'test/reliability/fixtures/load-master.mjs'), String(N), ...args],
    {
      env: { ...process.env, CREW_SECRET: newSecret() },
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout);
};

test(
  '1,000,000 tiny tasks on 2 local workers: all correct, memory linear in input and results',
  { timeout: scaled(600_000) },
  async (t) => {
    const natural = await run();
    const live = await run('--live');
    for (const r of [natural, live]) {
      assert.equal(r.wrong, 0, 'every result correct');
      assert.equal(r.calls, N, 'resultDone once per element');
      assert.equal(r.length, N);
      assert.ok(
        r.perWorker.every((k) => k > N / 10),
        `both workers took part: ${r.perWorker}`,
      );
    }
    // Input plus results, as the caller holds them after the map (measured after a full GC).
    const inputAndResults = live.endHeap - live.baseHeap;
    const livePeak = live.heapPeak - live.baseHeap;
    const rssPeak = natural.peakRss - natural.baseRss;
    t.diagnostic(
      `input+results ${(inputAndResults / N).toFixed(1)} B/task; ` +
        `live heap peak ${(livePeak / N).toFixed(1)} B/task; peak RSS growth ${(rssPeak / N).toFixed(1)} ` +
        `B/task; ${Math.round(N / (natural.ms / 1000))} tasks/s`,
    );
    // Live memory at the peak is the input and the results plus a bounded window of tasks.
    assert.ok(
      livePeak - inputAndResults < 32 * 1024 * 1024,
      `tasks in between held ${livePeak - inputAndResults} bytes`,
    );
    // Peak RSS includes garbage not yet collected; it must still be of the order of a few
    // words per task, not a copy of every task.
    assert.ok(rssPeak / N < 512, `peak RSS grew ${rssPeak / N} bytes per task`);
    record({
      row: 'load-1m',
      lost: 0,
      duplicated: 0,
      note:
        `${N} tasks, ${Math.round(N / (natural.ms / 1000))} tasks/s; ` +
        `input+results ${(inputAndResults / N).toFixed(1)} B/task; ` +
        `live heap peak ${(livePeak / N).toFixed(1)} B/task; peak RSS growth ${(rssPeak / N).toFixed(1)} ` +
        `B/task (${Math.round(rssPeak / 2 ** 20)} MiB)`,
    });
  },
);
