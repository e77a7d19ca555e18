// The in-process Node peers, piscina and workerpool, each with 2 worker threads, through the
// same workloads as Crew. Usage: node node-peer.mjs piscina|workerpool [--quick]
import { fileURLToPath } from 'node:url';
import { calibrate, idealMs, percentile, report, spin, taskMs, unevenCosts } from '../lib/work.mjs';

const which = process.argv[2];
const quick = process.argv.includes('--quick');
const N = quick ? 20_000 : 100_000;
const here = (f) => fileURLToPath(new URL(f, import.meta.url));

async function piscina() {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: here('./piscina-worker.mjs'), minThreads: 2, maxThreads: 2 });
  const run = (arg, name, transferList) => pool.run(arg, { name, transferList });
  return {
    inc: (x) => run(x, 'inc'),
    incChunk: (c) => run(c, 'incChunk'),
    one: () => run(0, 'one'),
    spin: (n) => run(n, 'spin'),
    echo: (a) => run(a, 'echo', [a.buffer]),
    close: () => pool.destroy(),
  };
}

async function workerpool() {
  const { default: wp } = await import('workerpool');
  const pool = wp.pool(here('./workerpool-worker.cjs'), { minWorkers: 2, maxWorkers: 2, workerType: 'thread' });
  // exec(fn, args): the function travels as text, as a Crew form does.
  return {
    inc: (x) => pool.exec((v) => v + 1, [x]),
    incChunk: (c) => pool.exec((xs) => xs.map((v) => v + 1), [c]),
    one: () => pool.exec(() => 1, []),
    spin: (n) => pool.exec(spin, [n]),
    echo: (a) => pool.exec('echo', [a], { transfer: [a.buffer] }),
    close: () => pool.terminate(),
  };
}

const metrics = {};
const t0 = performance.now();
const pool = await (which === 'piscina'
  ? piscina()
  : which === 'workerpool'
    ? workerpool()
    : Promise.reject(new Error(`unknown peer ${which}`)));
await Promise.all([pool.one(), pool.one()]);
metrics.startup_s = (performance.now() - t0) / 1000;

const list = Array.from({ length: N }, (_, i) => i);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const expect = (N * (N + 1)) / 2;
await Promise.all(list.slice(0, 20_000).map(pool.inc));

let t = performance.now();
const out = await Promise.all(list.map(pool.inc));
metrics.map_per_element = N / ((performance.now() - t) / 1000);
if (sum(out) !== expect) throw new Error('per-element map gave wrong results');

const chunks = [];
for (let i = 0; i < N; i += 1000) chunks.push(list.slice(i, i + 1000));
t = performance.now();
const grouped = await Promise.all(chunks.map(pool.incChunk));
metrics.map_grouped = N / ((performance.now() - t) / 1000);
if (sum(grouped.flat()) !== expect) throw new Error('grouped map gave wrong results');

for (let i = 0; i < 200; i++) await pool.one();
const lat = [];
for (let i = 0; i < (quick ? 500 : 2000); i++) {
  const s = performance.now();
  await pool.one();
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
metrics.call_p50_ms = percentile(lat, 50);
metrics.call_p99_ms = percentile(lat, 99);

const perMs = calibrate();
const n200 = Math.round(200 * perMs);
const alone = taskMs(() => spin(n200));
t = performance.now();
await Promise.all(Array(8).fill(n200).map(pool.spin));
metrics.cpu_efficiency = (4 * alone) / (performance.now() - t);

const costs = unevenCosts();
t = performance.now();
await Promise.all(costs.map((c) => pool.spin(Math.round(c * perMs))));
metrics.uneven_vs_ideal = (performance.now() - t) / idealMs(costs, 2);

const template = new Float64Array(8 * 1024 * 1024).map((_, i) => i);
const rates = [];
for (let i = 0; i < 3; i++) {
  const big = template.slice();
  const s = performance.now();
  const back = await pool.echo(big);
  const secs = (performance.now() - s) / 1000;
  if (back.length !== template.length || back[12345] !== 12345) throw new Error('large value came back wrong');
  rates.push((2 * template.byteLength) / 2 ** 20 / secs);
}
rates.sort((a, b) => a - b);
metrics.large_mib_s = rates[1];

await pool.close();
report(which, metrics);
