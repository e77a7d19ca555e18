// Crew's master with many workers: a real master (startMaster, unchanged) and simulated
// workers (worker-sim.mjs), a few processes holding many real connections each. Prints one
// BENCH line; run by bench/run.mjs --scale (node --expose-gc).
//
//   node --expose-gc bench/systems/scale.mjs --workers N [--quick]
//
// 10% of the workers sit in a process of their own that, at the end, keeps the tasks it
// is sent and is then SIGKILLed (its sockets close at once); with 20 workers or more another
// 10% is SIGSTOPped instead (silent: only the heartbeat can tell), then killed.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { disconnectWorkers, evalFormAllWorkers, form, parallelMap, startMaster } from 'crew';
import { bundleProtocol } from '../lib/crew-protocol.mjs';
import { percentile, report } from '../lib/work.mjs';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '64' },
    quick: { type: 'boolean', default: false },
    'heartbeat-ms': { type: 'string', default: '5000' },
  },
});
const N = Number(values.workers);
if (!Number.isInteger(N) || N < 2) throw new Error(`--workers must be a whole number >= 2, got ${values.workers}`);
const HEARTBEAT_MS = Number(values['heartbeat-ms']);
const TASKS = values.quick ? 20_000 : 100_000;
const IDLE_MS = values.quick ? 3000 : 6000;
const metrics = { workers: N, heartbeat_timeout_ms: HEARTBEAT_MS };

const secret = randomBytes(32).toString('hex');
const bundle = await bundleProtocol();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuMicros = (since) => {
  const d = process.cpuUsage(since);
  return d.user + d.system;
};
function used() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

/** A simulator process: resolves once it has loaded; `ask` sends and waits for a reply type. */
function simulator(name, count) {
  const child = fork(fileURLToPath(new URL('./worker-sim.mjs', import.meta.url)), [], { stdio: 'inherit' });
  const replies = [];
  child.on('message', (m) => replies.shift()?.(m));
  const next = () => new Promise((r) => replies.push(r));
  const loaded = next();
  return {
    name,
    count,
    child,
    loaded,
    ask(msg) {
      const reply = next();
      child.send(msg);
      return reply;
    },
  };
}

const victims = Math.max(1, Math.round(N / 10));
const silentVictims = N >= 20 ? victims : 0;
const rest = N - victims - silentVictims;
const groups = [
  ['abrupt', victims],
  ['silent', silentVictims],
  ...(rest > 64 ? [Math.ceil(rest / 2), Math.floor(rest / 2)] : [rest]).map((n, i) => [`sim${i}`, n]),
].filter(([, n]) => n > 0);

const before = used();
const pool = await startMaster({ secret, audit: { to: 'none' }, heartbeatTimeoutMs: HEARTBEAT_MS, onOutput: () => {} });
const sims = groups.map(([name, n]) => simulator(name, n));
await Promise.all(sims.map((s) => s.loaded));
const afterMaster = used();

try {
  // Connect: every simulator dials all its connections at once.
  const { host, port, member } = pool.listenAddress;
  const address = `${host}:${port}`;
  let t = performance.now();
  const replies = sims.map((s) =>
    s.ask({ t: 'start', bundle, address, member, secret, count: s.count, name: s.name, heartbeatMs: HEARTBEAT_MS }),
  );
  await pool.waitForWorkers(N, 120_000);
  metrics.connect_s = (performance.now() - t) / 1000;
  for (const r of await Promise.all(replies)) if (r.t !== 'connected') throw new Error(`simulator: ${r.error}`);
  await sleep(300);
  const connected = used();
  metrics.master_bytes_per_worker = (connected.heap - afterMaster.heap) / N;
  metrics.master_rss_per_worker = (connected.rss - afterMaster.rss) / N;
  metrics.master_heap_base_mb = (afterMaster.heap - before.heap) / 2 ** 20;

  // Master CPU per task: a tiny-task map, after a warm-up one.
  const list = Array.from({ length: TASKS }, (_, i) => i);
  const inc = form((x) => x + 1);
  await parallelMap(pool, inc, list.slice(0, 20_000));
  let c = process.cpuUsage();
  t = performance.now();
  const out = await parallelMap(pool, inc, list);
  metrics.map_tasks_s = TASKS / ((performance.now() - t) / 1000);
  metrics.master_cpu_us_per_task = cpuMicros(c) / TASKS;
  if (out[TASKS - 1] !== TASKS) throw new Error('the map gave wrong results');

  // One call on every worker: the all-workers path, with N targeted tasks.
  const lat = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    const r = await evalFormAllWorkers(pool, '1', { replayRequired: false });
    lat.push(performance.now() - s);
    if (r.length !== N) throw new Error(`evalFormAllWorkers answered ${r.length} of ${N}`);
  }
  lat.sort((a, b) => a - b);
  metrics.eval_all_p50_ms = percentile(lat, 50);

  // Idle: heartbeats only.
  await sleep(500);
  c = process.cpuUsage();
  t = performance.now();
  await sleep(IDLE_MS);
  metrics.idle_cpu_pct = (cpuMicros(c) / 1000 / (performance.now() - t)) * 100;

  metrics.reroute_abrupt_ms = await vanish(sims[0], 'SIGKILL');
  if (silentVictims) {
    const silent = await vanish(sims[1], 'SIGSTOP');
    metrics.reroute_silent_ms = silent.ms;
    metrics.reroute_silent_vs_timeout = silent.ms / HEARTBEAT_MS;
    metrics.notice_silent_vs_timeout = silent.noticedMs / HEARTBEAT_MS;
    metrics.reroute_after_notice_ms = silent.ms - silent.noticedMs;
  }
} finally {
  await disconnectWorkers(pool);
  for (const s of sims) if (s.child.exitCode === null) s.child.kill('SIGKILL');
}
report(`scale-${N}`, metrics);

/**
 * A map of 32 tasks per worker; once every task is back except those the victims keep, the
 * victims' process is stopped by `signal`. Returns the time from the signal to the map's end
 * (noticing the loss and running their tasks elsewhere), and to the last victim let go.
 */
async function vanish(victim, signal) {
  await victim.ask({ t: 'hold' });
  const M = 32 * N;
  const prefix = `${victim.name}-`;
  const map = parallelMap(
    pool,
    form((x) => x + 1),
    Array.from({ length: M }, (_, i) => i),
  );
  for (;;) {
    const ws = pool.workers;
    const theirs = ws.filter((w) => w.name.startsWith(prefix));
    const others = ws.filter((w) => !w.name.startsWith(prefix));
    if (pool.scheduler.queued === 0 && theirs.some((w) => w.inFlight > 0) && others.every((w) => w.inFlight === 0))
      break;
    await sleep(5);
  }
  // Looked up by id while the master reroutes: pool.workers builds every worker's summary.
  const ids = pool.workers.filter((w) => w.name.startsWith(prefix)).map((w) => w.id);
  const t = performance.now();
  victim.child.kill(signal);
  let noticedMs;
  const noticed = (async () => {
    while (ids.some((id) => pool.link(id) && pool.link(id).state !== 'closed')) await sleep(2);
    noticedMs = performance.now() - t;
  })();
  const results = await map;
  const ms = performance.now() - t;
  await noticed;
  if (results.length !== M || results[M - 1] !== M) throw new Error('rerouted map gave wrong results');
  victim.child.kill('SIGKILL');
  return signal === 'SIGKILL' ? ms : { ms, noticedMs };
}
