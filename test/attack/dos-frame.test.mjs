// Denial of service through one huge frame: a master sent one frame of a million tasks (29 MB
// in the compact layout) and the shared worker's main thread was busy with it for seconds at
// a stretch, handing it to the eval thread, while the other master's calls and heartbeats
// waited. The worker now hands such a frame over in slices, with turns of the event loop
// between them (worker/process/inbound-queue.ts). What is left of the stretch is the link's
// own work on the frame (assembling, authenticating and decoding it), before a worker's
// session sees it. This test records B's worst latency, and checks that every task of A's
// frame is answered exactly once and that B loses no call and no link.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { connectWorkers, disconnectWorkers, evalOn } from 'crew';
import { auditTrail, killHard, Lines, newSecret, root, startWorkerProcess } from '../reliability/helpers.mjs';

const secret = newSecret();
const TASKS = 1_000_000;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * Master A, in a process of its own. It writes one frame of TASKS tasks of a one-line form,
 * as a hostile or careless master could, and counts the results that come back (its pool
 * does not know their ids, and only its audit trail counts them).
 */
const bigFrame = `
import { connectWorkers, evalOn } from 'crew';
import { loadSource } from './test/helpers.mjs';
const codec = await loadSource('protocol/codec/codec.ts');
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let results = 0;
let t0 = 0;
const pool = await connectWorkers([process.env.CREW_ADDR], {
  audit: {
    tasks: true,
    to: (line) => {
      const m = / received .*results=(\\d+)/.exec(line);
      if (m && (results += Number(m[1])) >= ${TASKS} && t0) out({ done: { results, ms: performance.now() - t0 } });
    },
  },
});
await evalOn(pool, null, '1');
results = 0;
out({ ready: true });
process.stdin.once('data', () => {
  const form = { id: 1e9, mode: 'value', code: '1', filename: '/attack/one.js', line: 1, column: 1, cache: true };
  const tasks = Array.from({ length: ${TASKS} }, (_, i) => ({ id: 1e9 + i, def: form }));
  const frame = codec.encodeTaskFrame([form], tasks);
  t0 = performance.now();
  pool.link(pool.workers[0].id).transport.sendFrame(frame);
  out({ sent: frame.length });
});
`;

test(`one frame of ${TASKS} tasks from one master: all answered, the other master's calls go on`, async () => {
  const worker = await startWorkerProcess({
    secret,
    name: 'shared',
    mode: ['--port', '0'],
    extra: ['--max-sessions', '2'],
  });
  cleanups.push(() => killHard(worker.child));
  const addr = `127.0.0.1:${worker.port}`;
  const a = spawn(process.execPath, ['--input-type=module', '-e', bigFrame], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CREW_SECRET: secret, CREW_ADDR: addr },
  });
  cleanups.push(() => killHard(a));
  const aLines = new Lines();
  let buf = '';
  a.stdout.setEncoding('utf8').on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      aLines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  await aLines.waitFor(/"ready":true/);
  const trail = auditTrail();
  const b = await connectWorkers([addr], { secret, audit: trail.options });
  cleanups.push(() => disconnectWorkers(b));
  await evalOn(b, 'w1', 'globalThis.offset = 2000');

  a.stdin.write('go\n');
  const sent = JSON.parse((await aLines.waitFor(/"sent"/)).text).sent;
  const done = aLines.waitFor(/"done"/, 120_000);
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
      const v = await evalOn(b, 'w1', `offset + ${n}`);
      if (v !== 2000 + n) failures.push(`call ${n} answered ${v}`);
    } catch (err) {
      failures.push(`call ${n}: ${err.code} ${err.message}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    latencies.push(performance.now() - t0);
  }
  const result = JSON.parse((await done).text).done;
  const worst = Math.round(latencies.reduce((x, y) => Math.max(x, y), 0));
  console.log(
    `A sent ${TASKS} tasks in one frame of ${(sent / 1e6).toFixed(0)} MB; all ${result.results} answered in ` +
      `${Math.round(result.ms)} ms; B made ${latencies.length} calls meanwhile (${failures.length} failed), ` +
      `worst latency ${worst} ms`,
  );
  assert.deepEqual(failures.slice(0, 5), [], "B's calls all succeeded");
  assert.equal(trail.lines.count(/ disconnect /), 0, "B's link never dropped");
  assert.equal(result.results, TASKS, "every task of A's frame was answered once");
  assert.equal(worker.out.count(/bad-frame/), 0);
});
