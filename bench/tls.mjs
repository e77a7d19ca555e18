// npm run bench:tls: what TLS costs a link, against plain TCP in the same run. Each round
// starts a master with 2 local workers, either plain (loopback's default) or with TLS forced
// (`tls: 'on'`: the listener's own certificate, the handshake bound to the channel), and
// measures the per-element tiny map (tasks/s) and one call's latency (median and p90 of
// sequential calls). Rounds alternate plain and TLS so that drift on a shared machine falls on
// both. Goals: TLS's tiny-task rate at least 0.8x plain, its one-call latency at most 1.2x.
import { disconnectWorkers, evalOn, form, parallelMap, startMaster } from 'crew';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 3;
const N = quick ? 10_000 : 30_000;
const CALLS = quick ? 300 : 1500;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function round(tls) {
  const pool = await startMaster({ local: 2, tls, audit: { to: 'none' } });
  try {
    const list = Array.from({ length: N }, (_, i) => i);
    const inc = form((x) => x + 1);
    await parallelMap(pool, inc, list.slice(0, 10_000)); // warm the JIT on both ends
    let t = performance.now();
    const out = await parallelMap(pool, inc, list);
    const rate = N / ((performance.now() - t) / 1000);
    if (out[N - 1] !== N) throw new Error('the map gave wrong results');
    const one = form(() => 1);
    for (let k = 0; k < 200; k++) await evalOn(pool, null, one);
    const lat = [];
    for (let k = 0; k < CALLS; k++) {
      t = performance.now();
      await evalOn(pool, null, one);
      lat.push(performance.now() - t);
    }
    return { rate, p50: median(lat), p90: percentile(lat, 0.9) };
  } finally {
    await disconnectWorkers(pool);
  }
}

const runs = { plain: [], tls: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, tls] of r % 2
    ? [
        ['tls', 'on'],
        ['plain', undefined],
      ]
    : [
        ['plain', undefined],
        ['tls', 'on'],
      ]) {
    const m = await round(tls);
    runs[name].push(m);
    const call = `call p50 ${m.p50.toFixed(3)} ms p90 ${m.p90.toFixed(3)} ms`;
    process.stderr.write(`round ${r + 1} ${name}: ${Math.round(m.rate)} tasks/s, ${call}\n`);
  }
}

const summary = (name) => ({
  rate: median(runs[name].map((m) => m.rate)),
  p50: median(runs[name].map((m) => m.p50)),
  p90: median(runs[name].map((m) => m.p90)),
});
const plain = summary('plain');
const tls = summary('tls');
const rateRatio = tls.rate / plain.rate;
const latRatio = tls.p50 / plain.p50;
console.log('| link | tiny map (tasks/s) | one call p50 (ms) | one call p90 (ms) |');
console.log('|---|---|---|---|');
for (const [name, s] of [
  ['plain TCP', plain],
  ['TLS', tls],
])
  console.log(`| ${name} | ${Math.round(s.rate)} | ${s.p50.toFixed(3)} | ${s.p90.toFixed(3)} |`);
console.log(
  `\nTLS / plain: tiny map ${rateRatio.toFixed(2)}x (goal >= 0.8x), one call p50 ${latRatio.toFixed(2)}x ` +
    `(goal <= 1.2x), p90 ${(tls.p90 / plain.p90).toFixed(2)}x; medians of ${ROUNDS} alternating rounds, ` +
    `${N} tasks and ${CALLS} calls each`,
);
