// Soak: mixed work on local workers for a long time (10 minutes by default), checking every
// result, and reporting memory of master and workers and throughput at the start and end.
// Run by hand, not in CI:   node --expose-gc bench/soak.mjs [seconds] [workers]
import {
  disconnectWorkers,
  evalFormAllWorkers,
  evalFormRepeatedly,
  evalOn,
  evalRepeatedlyAsyncState,
  form,
  parallelMap,
  parallelReduce,
  startMaster,
} from 'crew';

/* global offset -- functions sent with form() run on the workers, where a setup form defines it */

const seconds = Number(process.argv[2] ?? 600);
const workers = Number(process.argv[3] ?? 2);
const gc = globalThis.gc ?? (() => {});
const pool = await startMaster({ local: workers, audit: { to: 'none' } });
await evalFormAllWorkers(pool, 'globalThis.offset = 1000');

let expected = 0;
let verified = 0;
let wrong = 0;
let threadRestarts = 0;
const check = (ok, count = 1) => {
  expected += count;
  if (ok) verified += count;
  else wrong += count;
};
const range = (n) => Array.from({ length: n }, (_, i) => i);

async function round(k) {
  const tiny = 20_000;
  const t0 = performance.now();
  const a = await parallelMap(
    pool,
    form((x) => x + offset),
    range(tiny),
  );
  const tinyRate = tiny / ((performance.now() - t0) / 1000);
  check(
    a.every((v, i) => v === i + 1000),
    tiny,
  );
  const b = await parallelMap(
    pool,
    form((x) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
      return `${x}`;
    }),
    range(100),
  );
  check(
    b.every((v, i) => v === `${i}`),
    100,
  );
  const c = await parallelReduce(
    pool,
    form((x) => x * x),
    range(1000),
    0,
    (acc, r) => acc + r,
  );
  check(c === range(1000).reduce((s, x) => s + x * x, 0), 1000);
  const d = await evalFormRepeatedly(
    pool,
    200,
    form(() => () => Math.random()),
  );
  check(d.length === 200 && d.every((v) => typeof v === 'number'), 200);
  let seen = 0;
  const e = await evalRepeatedlyAsyncState(
    pool,
    form(() => (s) => s + 1),
    0,
    (s, r) => {
      seen++;
      return [Math.max(s, r), seen >= 100, true];
    },
  );
  check(seen === 100 && e >= 1, 100);
  const big = await parallelMap(
    pool,
    form((n) => new Float64Array(n).fill(n)),
    range(16).map(() => 8192),
  );
  check(
    big.every((v) => v.length === 8192 && v[0] === 8192),
    16,
  );
  const all = await evalFormAllWorkers(pool, `${k} + offset`, { replayRequired: false });
  check(all.length === pool.size && all.every((v) => v === k + 1000), all.length);
  try {
    await evalOn(pool, null, 'throw new RangeError("on purpose")');
    check(false);
  } catch (err) {
    check(err.remoteName === 'RangeError');
  }
  if (k % 25 === 0) {
    // An eval thread dies now and then; its worker replays the setup and carries on.
    try {
      await evalOn(pool, pool.workers[k % pool.workers.length].id, 'process.exit(3)');
      check(false);
    } catch (err) {
      check(err.code === 'CREW_EVAL_THREAD_DIED');
      threadRestarts++;
    }
  }
  return tinyRate;
}

const mb = (b) => Math.round(b / 2 ** 20);
async function memory() {
  gc();
  const m = process.memoryUsage();
  const w = await evalFormAllWorkers(pool, 'process.memoryUsage().rss', { replayRequired: false });
  return { masterRss: mb(m.rss), masterHeap: mb(m.heapUsed), workerRss: w.map(mb) };
}

const start = performance.now();
const minutes = [];
let current = { rates: [] };
let nextReport = 60_000;
let k = 0;
const first = await memory();
console.log(`soak: ${seconds} s on ${workers} local workers; memory at start ${JSON.stringify(first)}`);
while (performance.now() - start < seconds * 1000) {
  current.rates.push(await round(++k));
  if (performance.now() - start >= nextReport) {
    const mem = await memory();
    const rate = Math.round(current.rates.reduce((a, b) => a + b, 0) / current.rates.length);
    minutes.push({ minute: minutes.length + 1, rounds: current.rates.length, tinyTasksPerSec: rate, ...mem });
    console.log(
      `minute ${minutes.length}: ${current.rates.length} rounds, ${rate} tiny ` +
        `tasks/s, master ${mem.masterRss} MiB RSS / ${mem.masterHeap} MiB heap, ` +
        `workers ${mem.workerRss.join(', ')} MiB RSS; results ${verified}/${expected} ` +
        `verified`,
    );
    current = { rates: [] };
    nextReport += 60_000;
  }
}
const last = await memory();
const summary = {
  seconds: Math.round((performance.now() - start) / 1000),
  rounds: k,
  results: expected,
  verified,
  lost: expected - verified - wrong,
  wrong,
  threadRestarts,
  throughputStart: minutes[0]?.tinyTasksPerSec,
  throughputEnd: minutes.at(-1)?.tinyTasksPerSec,
  memoryStart: first,
  memoryEnd: last,
};
console.log(JSON.stringify(summary));
console.log(wrong === 0 && expected === verified ? 'soak: every result verified' : 'soak: RESULTS WRONG OR LOST');
await disconnectWorkers(pool);
process.exit(wrong === 0 && expected === verified ? 0 : 1);
