// CPU work shared by every Node system in the benchmark, so each spins the same loop.

/** Spins for `n` iterations of integer arithmetic and returns a checksum. */
export function spin(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003;
  return x;
}

/** Iterations of {@link spin} per millisecond on this machine, measured here once warm. */
export function calibrate() {
  for (let i = 0; i < 5; i++) spin(1_000_000);
  let n = 1_000_000;
  for (;;) {
    const t0 = performance.now();
    spin(n);
    const ms = performance.now() - t0;
    if (ms > 50) break;
    n *= 2;
  }
  const rates = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    spin(n);
    rates.push(n / (performance.now() - t0));
  }
  return rates.sort((a, b) => a - b)[1];
}

/**
 * The uneven map: many short tasks and a few long ones spread through the list. Returns
 * each task's cost in milliseconds; the ideal finish time on `workers` workers is
 * max(sum / workers, longest).
 */
export function unevenCosts() {
  const costs = Array.from({ length: 200 }, () => 1);
  for (const i of [10, 50, 90, 130, 170]) costs[i] = 50;
  return costs;
}

export function idealMs(costs, workers) {
  const sum = costs.reduce((a, b) => a + b, 0);
  return Math.max(sum / workers, Math.max(...costs));
}

/** Median time of 3 runs of `f` in this process, in milliseconds. */
export function taskMs(f) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[1];
}

/** Percentile of sorted numbers. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Awaits `call` `n` times, one after another; each call's time in ms, sorted. */
export async function timeEach(call, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await call();
    times.push(performance.now() - s);
  }
  return times.sort((a, b) => a - b);
}

/** Prints the one line the runner reads. */
export function report(system, metrics) {
  process.stdout.write(`BENCH ${JSON.stringify({ system, metrics })}\n`);
}
