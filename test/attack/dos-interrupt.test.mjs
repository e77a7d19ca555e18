// Denial of service through interrupts: one master on a shared worker floods `interrupt`
// frames. Each of them used to replace its session's eval thread, idle or not, and starting
// thousands of threads blocked the worker's main thread for many seconds: the other master's
// heartbeats went unanswered and its link dropped. Interrupts now coalesce per session (a
// no-op while nothing runs, at most one restart in flight and one per short window), so the
// flood costs the other master nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { connectWorkers, disconnectWorkers, ErrorCodes, evalOn } from 'crew';
import { auditTrail, killHard, Lines, newSecret, root, startWorkerProcess } from '../reliability/helpers.mjs';

const secret = newSecret();
const HEARTBEAT_MS = 5_000;
const FLOOD = 20_000;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * Master A, in a process of its own so that its flood does not stall the test's event loop
 * (which measures B). Driven by lines on stdin; reports JSON lines on stdout.
 */
const flooder = `
import { connectWorkers, disconnectWorkers, evalOn } from 'crew';
import { createInterface } from 'node:readline';
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let onSent = () => {};
const pool = await connectWorkers([process.env.CREW_ADDR], {
  heartbeatTimeoutMs: ${HEARTBEAT_MS},
  audit: { to: (line) => / sent /.test(line) && onSent(), tasks: true },
});
const id = pool.workers[0].id;
// A guard, so that a worker that lost the loop's interrupt fails the test instead of hanging it.
const within = (p, what) =>
  Promise.race([p, new Promise((resolve) => setTimeout(resolve, 60_000, what + ' after 60 s').unref())]);
const flood = () => {
  const t0 = performance.now();
  for (let i = 0; i < ${FLOOD}; i++) pool.interrupt(id);
  return performance.now() - t0;
};
const ops = {
  // A runaway loop, interrupted ${FLOOD} times over: it fails once, as interrupted.
  async busy() {
    const sent = new Promise((resolve) => (onSent = resolve));
    const loop = evalOn(pool, null, 'for (;;);').then(() => 'finished', (e) => e.code);
    // The interrupts follow the loop's task on the link, so the worker has it when they come.
    await sent;
    const ms = flood();
    return { ms, loop: await within(loop, 'still running') };
  },
  // ${FLOOD} interrupts of a thread that runs nothing.
  async idle() {
    const ms = flood();
    return { ms, after: await within(evalOn(pool, null, '6 * 7').catch((e) => e.code), 'no answer') };
  },
  eval: (code) => evalOn(pool, null, code),
  size: () => pool.size,
  close: () => disconnectWorkers(pool),
};
out({ ready: true });
createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, op, args = [] } = JSON.parse(line);
  Promise.resolve()
    .then(() => ops[op](...args))
    .then((value) => out({ id, ok: true, value }), (err) => out({ id, ok: false, code: err.code, error: err.message }));
});
`;

async function startFlooder(addr) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', flooder], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CREW_SECRET: secret, CREW_ADDR: addr },
  });
  cleanups.push(() => killHard(child));
  const lines = new Lines();
  const pending = new Map();
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const p = pending.get(msg.id);
      if (!p) lines.push(JSON.stringify(msg));
      else if (msg.ok) p.resolve(msg.value);
      else p.reject(Object.assign(new Error(msg.error), { code: msg.code }));
    }
  });
  child.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error('master A exited'));
  });
  let nextId = 1;
  const call = (op, ...args) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.stdin.write(JSON.stringify({ id, op, args }) + '\n');
    });
  await lines.waitFor(/"ready":true/, 20_000);
  return { child, call };
}

/**
 * B evaluates one small form after another until `done` settles. Returns each call's latency
 * and the calls that failed (asserted after the figures are printed).
 */
async function keepCalling(pool, done) {
  let over = false;
  done.then(
    () => (over = true),
    () => (over = true),
  );
  const latencies = [];
  const failures = [];
  for (let n = 0; !over; n++) {
    const t0 = performance.now();
    try {
      const v = await evalOn(pool, 'w1', `offset + ${n}`);
      if (v !== 2000 + n) failures.push(`call ${n} answered ${v}`);
    } catch (err) {
      failures.push(`call ${n}: ${err.code} ${err.message}`);
      // A pool that lost its worker refuses at once: let the test's own I/O run between tries.
      await new Promise((resolve) => setImmediate(resolve));
    }
    latencies.push(performance.now() - t0);
  }
  return { latencies, failures };
}

test('20,000 interrupts from one master: the other master keeps its link and its calls, A restarts once', async () => {
  const worker = await startWorkerProcess({
    secret,
    name: 'shared',
    mode: ['--port', '0'],
    extra: ['--max-sessions', '2', '--heartbeat-timeout', String(HEARTBEAT_MS)],
  });
  cleanups.push(() => killHard(worker.child));
  const addr = `127.0.0.1:${worker.port}`;
  const a = await startFlooder(addr);
  const trail = auditTrail();
  const b = await connectWorkers([addr], { secret, heartbeatTimeoutMs: HEARTBEAT_MS, audit: trail.options });
  cleanups.push(() => disconnectWorkers(b));
  assert.equal(b.workers[0].id, 'w1');
  await evalOn(b, 'w1', 'globalThis.offset = 2000');
  await worker.out.waitFor(/session session=2 opened=/);
  const restartsOfA = () => worker.out.count(/eval-thread session=1 restarted=/);

  // A's thread runs a loop; A floods. B goes on calling throughout.
  const busy = a.call('busy');
  const duringBusy = await keepCalling(b, busy);
  const busyResult = await busy;
  const afterBusy = restartsOfA();
  // A's thread is idle; A floods again.
  const idle = a.call('idle');
  const duringIdle = await keepCalling(b, idle);
  const idleResult = await idle;
  const afterIdle = restartsOfA();

  const worst = ({ latencies }) => Math.round(latencies.reduce((a, b) => Math.max(a, b), 0));
  const drops = trail.lines.count(/ disconnect /);
  console.log(
    `flood of ${FLOOD} interrupts on a running loop: A sent them in ${Math.round(busyResult.ms)} ms; ` +
      `A's eval thread restarted ${afterBusy} times; B made ${duringBusy.latencies.length} calls ` +
      `(${duringBusy.failures.length} failed), worst latency ${worst(duringBusy)} ms`,
  );
  console.log(
    `flood of ${FLOOD} interrupts on an idle thread: A sent them in ${Math.round(idleResult.ms)} ms; ` +
      `${afterIdle - afterBusy} more restarts; B made ${duringIdle.latencies.length} calls ` +
      `(${duringIdle.failures.length} failed), worst latency ${worst(duringIdle)} ms; B's link dropped ${drops} times`,
  );
  assert.deepEqual([...duringBusy.failures, ...duringIdle.failures].slice(0, 5), [], "B's calls all succeeded");
  assert.equal(drops, 0, "B's link never dropped");
  assert.equal(b.size, 1);
  assert.equal(busyResult.loop, ErrorCodes.Interrupted, "A's loop was interrupted");
  assert.ok(afterBusy >= 1 && afterBusy <= 2, `A's thread restarted ${afterBusy} times for one running loop`);
  assert.equal(idleResult.after, 42, "A's fresh thread works");
  assert.equal(afterIdle, afterBusy, 'interrupts of an idle thread restart nothing');
  assert.equal(worker.out.count(/eval-thread session=2 restarted=/), 0, "B's thread was never touched");
  assert.equal(await evalOn(b, 'w1', 'offset'), 2000, 'B kept its context');
  await a.call('close');
});
