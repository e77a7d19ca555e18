// Crew's side of the benchmark: one fresh master and 2 local worker processes per run.
// Prints one BENCH line with every metric; run by bench/run.mjs (node --expose-gc).
import { disconnectWorkers, evalFormAllWorkers, evalOn, form, parallelMap, startMaster } from 'crew';
import { calibrate, idealMs, percentile, report, spin, taskMs, unevenCosts } from '../lib/work.mjs';

const quick = process.argv.includes('--quick');
/** Only what the regression guard needs: the per-element map. */
const guard = process.argv.includes('--guard');
const N = quick || guard ? 20_000 : 100_000;
const CALLS = quick ? 500 : 2000;
const metrics = {};

const t0 = performance.now();
const pool = await startMaster({ local: 2, audit: { to: 'none' } });
metrics.startup_s = (performance.now() - t0) / 1000;
await evalFormAllWorkers(pool, form(() => 1), { replayRequired: false });
metrics.startup_eval_s = (performance.now() - t0) / 1000;

async function workloads() {
  const list = Array.from({ length: N }, (_, i) => i);
  const expect = (N * (N + 1)) / 2;
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  // Warm the JIT on both ends, as every peer gets a warm-up too.
  await parallelMap(pool, form((x) => x + 1), list.slice(0, 20_000));

  let t = performance.now();
  const out = await parallelMap(pool, form((x) => x + 1), list);
  metrics.map_per_element = N / ((performance.now() - t) / 1000);
  if (out.length !== N || sum(out) !== expect) throw new Error('per-element map gave wrong results');
  if (guard) return;

  const chunks = [];
  for (let i = 0; i < N; i += 1000) chunks.push(list.slice(i, i + 1000));
  t = performance.now();
  const grouped = await parallelMap(pool, form((c) => c.map((x) => x + 1)), chunks);
  metrics.map_grouped = N / ((performance.now() - t) / 1000);
  if (sum(grouped.flat()) !== expect) throw new Error('grouped map gave wrong results');

  const S = quick ? 2000 : 10_000;
  t = performance.now();
  const strs = await parallelMap(pool, (x) => `${x} + 1`, list.slice(0, S));
  metrics.map_string_forms = S / ((performance.now() - t) / 1000);
  if (strs[S - 1] !== S) throw new Error('string-form map gave wrong results');

  for (const [name, call] of [
    ['call', () => evalOn(pool, null, form(() => 1))],
    ['call_string', () => evalOn(pool, null, '1 + 1')],
    ['call_all', () => evalFormAllWorkers(pool, form(() => 1), { replayRequired: false })],
  ]) {
    for (let i = 0; i < 200; i++) await call();
    const lat = [];
    for (let i = 0; i < CALLS; i++) {
      const s = performance.now();
      await call();
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    metrics[`${name}_p50_ms`] = percentile(lat, 50);
    metrics[`${name}_p99_ms`] = percentile(lat, 99);
  }

  // CPU-bound: 8 tasks of about 200 ms on 2 workers; ideal is 4 tasks' compute time, each
  // timed here in the master on the same loop.
  const perMs = calibrate();
  const n200 = Math.round(200 * perMs);
  const alone = taskMs(() => spin(n200));
  t = performance.now();
  await parallelMap(pool, form(spin), Array(8).fill(n200));
  metrics.cpu_efficiency = (4 * alone) / (performance.now() - t);

  const costs = unevenCosts();
  t = performance.now();
  await parallelMap(pool, form(spin), costs.map((c) => Math.round(c * perMs)));
  metrics.uneven_vs_ideal = (performance.now() - t) / idealMs(costs, 2);

  metrics.bytes_per_task = await bytesPerTask();

  // 64 MiB Float64Array out and back; MiB/s counts both directions, like the ws floor.
  const big = new Float64Array(8 * 1024 * 1024).map((_, i) => i);
  const rates = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    const back = await evalOn(pool, null, form((a) => a, big));
    const secs = (performance.now() - s) / 1000;
    if (!(back instanceof Float64Array) || back.length !== big.length || back[12345] !== 12345) throw new Error('large value came back wrong');
    rates.push((2 * big.byteLength) / 2 ** 20 / secs);
  }
  rates.sort((a, b) => a - b);
  metrics.large_mib_s = rates[1];
}

try {
  await workloads();
} finally {
  await disconnectWorkers(pool);
}
report('crew', metrics);

/**
 * Master memory per task in flight: both eval threads are held busy, K calls are made,
 * and the growth of heap and buffers (after a full GC) is divided by K.
 */
async function bytesPerTask() {
  const K = quick ? 20_000 : 100_000;
  const hold = evalFormAllWorkers(pool, 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500)', { replayRequired: false });
  await new Promise((r) => setTimeout(r, 100));
  const used = () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const before = used();
  const calls = [];
  for (let i = 0; i < K; i++) calls.push(evalOn(pool, null, form((x) => x, i)));
  await new Promise((r) => setTimeout(r, 50));
  const after = used();
  await hold;
  await Promise.all(calls);
  return (after - before) / K;
}
