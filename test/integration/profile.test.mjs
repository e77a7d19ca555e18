// Profiling real workers: CPU profiles of their eval threads mapped to the user's TypeScript,
// taken while a map runs and with the Crew Debugger on, the merged file, heap snapshots, and
// `.profile` at the REPL.
/* global hotFor -- defined on the workers by hot.ts */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { evalFormAllWorkers, evalOn, form, heapSnapshot, parallelMap, profileWorkers, writeProfiles } from 'crew';
import { cli, SECRET, sharedPool, tempDir, until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';

const dir = tempDir();
const hotFile = join(dir, 'hot.ts');
// hotLoop is declared on line 4 of its file (0-based line 3 in a .cpuprofile).
writeFileSync(
  hotFile,
  `// A hot TypeScript function.
type Work = { n: number };

function hotLoop(w: Work): number {
  let s = 0;
  for (let i = 0; i < w.n; i++) s = (s + i * i) % 1000003;
  return s;
}

function hotFor(ms: number): number {
  const end = Date.now() + ms;
  let s = 0;
  while (Date.now() < end) s += hotLoop({ n: 200000 });
  return s;
}
`,
);

const shared = sharedPool(2, {
  setup: (pool) => evalFormAllWorkers(pool, { code: readFileSync(hotFile, 'utf8'), filename: hotFile }),
});

/** Self samples by `name file:line`, most first. */
function selfSamples(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const s of profile.samples) {
    const { callFrame: f } = byId.get(s);
    const key = `${f.functionName} ${f.url}:${f.lineNumber}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

/** Starts a long task on every worker and waits until each runs one. */
async function busyEverywhere(pool, ms) {
  const running = parallelMap(
    pool,
    form((t) => hotFor(t)),
    [ms, ms],
  );
  await until(() => pool.workers.every((w) => w.inFlight > 0), { what: 'both workers to run a task' });
  return running;
}

test('the profile of a hot TypeScript function shows it at its own file and line, with most samples', async () => {
  const { pool } = shared;
  const running = busyEverywhere(pool, 4000);
  const profiles = await profileWorkers(pool, { ms: 600 });
  assert.deepEqual(Object.keys(profiles).sort(), ['w1', 'w2']);
  const hot = `hotLoop file://${hotFile}:3`;
  for (const [id, profile] of Object.entries(profiles)) {
    const top = selfSamples(profile);
    assert.equal(
      top[0][0],
      hot,
      `${id}: the most sampled frame is hotLoop at hot.ts:4 (${JSON.stringify(top.slice(0, 3))})`,
    );
    assert.ok(
      top[0][1] > profile.samples.length / 2,
      `${id}: hotLoop has most of the ${profile.samples.length} samples`,
    );
    const node = profile.nodes.find((n) => n.callFrame.functionName === 'hotLoop');
    assert.equal(node.crew, 'user');
    const where = profile.$vscode.locations[node.locationId].locations[0];
    assert.deepEqual([where.source.path, where.lineNumber], [hotFile, 4], 'VS Code opens hot.ts at line 4');
    assert.ok(
      profile.nodes.some((n) => n.crew === 'runtime' && /eval-thread/.test(n.callFrame.url)),
      "Crew's own frames are marked",
    );
  }
  assert.equal((await running).length, 2);
});

test('profiling during a map loses no result, and works with the Crew Debugger on', async () => {
  const { pool } = shared;
  pool.debug.setMode(true, pool.readyLinks());
  try {
    const list = Array.from({ length: 2000 }, (_, i) => i);
    const mapped = parallelMap(
      pool,
      form((x) => (hotFor(1), x * 2)),
      list,
    );
    await until(() => pool.workers.every((w) => w.inFlight > 0), { what: 'the map to reach both workers' });
    const profiles = await profileWorkers(pool, { ms: 300, workers: ['w1', pool.workers[1]] });
    // Taken during the map: the user's code ran under it.
    for (const p of Object.values(profiles)) assert.ok(p.nodes.some((n) => n.crew === 'user' && n.hitCount > 0));
    assert.deepEqual(
      await mapped,
      list.map((x) => x * 2),
    );
  } finally {
    pool.debug.setMode(false, pool.readyLinks());
  }
});

test('a profile of a worker suspended in the Crew Debugger leaves the suspension as it was', async () => {
  const { pool } = shared;
  pool.debug.setMode(true, pool.readyLinks());
  try {
    const paused = new Promise((resolve) => pool.debug.once('paused', resolve));
    const call = evalOn(pool, 'w1', 'function boom() { throw new RangeError("held") }\nboom()');
    const suspension = await paused;
    const resumed = [];
    pool.debug.on('resumed', (id) => resumed.push(id));
    const { w1 } = await profileWorkers(pool, { ms: 200, workers: ['w1'] });
    assert.ok(w1.nodes.length > 0);
    // Still suspended: a question about its frame is answered, not refused as stale.
    const answer = await pool.debug.request(suspension.id, { op: 'evaluate', frame: 0, expression: '6 * 7' });
    assert.equal(answer.value.value, '42');
    assert.deepEqual(resumed, []);
    await pool.debug.request(suspension.id, { op: 'restart', restart: { kind: 'abort' } });
    await assert.rejects(call, /held/);
  } finally {
    pool.debug.setMode(false, pool.readyLinks());
  }
});

test('one profile at a time per worker; bad options and unknown workers are refused by name', async () => {
  const { pool } = shared;
  const first = profileWorkers(pool, { ms: 400, workers: ['w1'] });
  await assert.rejects(profileWorkers(pool, { ms: 50, workers: ['w1'] }), { code: 'CREW_PROFILE_BUSY' });
  assert.ok((await first).w1.nodes.length > 0);
  await assert.rejects(profileWorkers(pool, { ms: 0 }), { code: 'CREW_BAD_ARGUMENT', message: /ms must be/ });
  await assert.rejects(profileWorkers(pool, { ms: 10, workers: ['w9'] }), { code: 'CREW_UNKNOWN_WORKER' });
});

test(
  'a profile asked for 10 minutes ends when its signal aborts, with what it holds',
  { timeout: scaled(60_000) },
  async () => {
    const { pool } = shared;
    const stop = new AbortController();
    const profiles = profileWorkers(pool, { ms: 600_000, signal: stop.signal });
    stop.abort();
    const { w1, w2 } = await profiles;
    for (const p of [w1, w2]) assert.ok(p.nodes.length > 0 && p.endTime - p.startTime < 60e6, 'a short profile');
  },
);

test('the merged profile holds every worker under its root, numbered as viewers expect', async () => {
  const { pool } = shared;
  const running = busyEverywhere(pool, 1500);
  const files = await writeProfiles(await profileWorkers(pool, { ms: 300 }), tempDir());
  await running;
  const merged = JSON.parse(readFileSync(files.merged, 'utf8'));
  assert.deepEqual(
    merged.nodes.map((n) => n.id),
    merged.nodes.map((_, i) => i + 1),
  );
  const root = merged.nodes[0];
  assert.deepEqual(
    root.children.map((c) => merged.nodes[c - 1].callFrame.functionName),
    ['(worker w1)', '(worker w2)'],
  );
  const perWorker = Object.values(files.workers).map((f) => JSON.parse(readFileSync(f, 'utf8')).samples.length);
  assert.equal(merged.samples.length, perWorker[0] + perWorker[1]);
  assert.ok(merged.timeDeltas.every((d) => d >= 0));
  assert.ok(merged.samples.every((s) => s >= 1 && s <= merged.nodes.length));
  // A frame both workers ran is one location, so the viewer adds up its time on both.
  const keys = merged.$vscode.locations.map(({ callFrame: f }) => `${f.functionName} ${f.url}:${f.lineNumber}`);
  assert.equal(new Set(keys).size, keys.length, 'no frame has two locations');
  assert.equal(keys.filter((k) => k.startsWith('hotFor ')).length, 1, keys.join('\n'));
});

test('a heap snapshot parses and has nodes', async () => {
  const { pool } = shared;
  await evalFormAllWorkers(pool, 'globalThis.keptForSnapshot = new Array(1000).fill(0).map((_, i) => ({ i }))');
  const file = await heapSnapshot(pool, 'w2', { file: join(dir, 'w2.heapsnapshot') });
  assert.equal(file, join(dir, 'w2.heapsnapshot'));
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  assert.ok(snapshot.snapshot.node_count > 1000, `${snapshot.snapshot.node_count} nodes`);
  assert.equal(snapshot.nodes.length, snapshot.snapshot.node_count * snapshot.snapshot.meta.node_fields.length);
  await assert.rejects(heapSnapshot(pool, 'w7'), { code: 'CREW_UNKNOWN_WORKER' });
});

test('.profile at the REPL writes a profile per worker and a merged one, and says where', async (t) => {
  const cwd = tempDir();
  const repl = spawn(process.execPath, [cli, 'master', '--local', '2'], {
    cwd,
    env: { ...process.env, CREW_SECRET: SECRET },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => repl.on('exit', resolve));
  t.after(async () => {
    if (repl.exitCode === null && repl.signalCode === null) process.kill(repl.pid, 'SIGTERM');
    await exited;
  });
  let out = '';
  repl.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const shown = (pattern, what) => until(() => pattern.exec(out), { what, timeoutMs: 60_000 });
  await shown(/Crew master with 2 workers/, 'the REPL to start with 2 workers');
  repl.stdin.write('.profile 200\n');
  const said = await shown(/all: (\S+\.cpuprofile)\n/, 'the files .profile wrote');
  assert.match(out, /profiled 2 workers for 200 ms:\n {2}w1: \S+crew-w1-\S+\.cpuprofile\n {2}w2: /);
  assert.equal(said[1].startsWith(cwd), true, `written in the current directory: ${said[1]}`);
  const written = readdirSync(cwd).filter((f) => f.endsWith('.cpuprofile'));
  assert.equal(written.length, 3, written.join(', '));
  for (const f of written) assert.ok(JSON.parse(readFileSync(join(cwd, f), 'utf8')).nodes.length > 0);
  repl.stdin.write('.profile soon\n');
  await shown(/usage: \.profile \[ms\]/, 'the usage for a bad length');
  repl.stdin.end('.exit\n');
  await exited;
});
