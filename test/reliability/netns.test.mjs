// Several hosts, made with Linux network namespaces: a master in one, three workers in three
// others, joined by veth pairs on a bridge. One worker's link is cut in the middle of a map
// (`ip link set ... down`); the map completes with every result exactly once, and the worker
// rejoins when the link comes back. Skipped, saying why, where namespaces cannot be made.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { killHard, newSecret, record, startMasterProcess, startWorkerProcess } from './helpers.mjs';
import { scaled } from '../time-scale.mjs';

const sfx = randomBytes(2).toString('hex');
const M = `crew-m-${sfx}`;
const W = [1, 2, 3].map((i) => `crew-w${i}-${sfx}`);
const SUBNET = '10.213.0';
const MASTER_IP = `${SUBNET}.1`;
const HEARTBEAT_MS = 2000;
const made = [];

function ip(...args) {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why namespaces cannot be made here, or undefined when they can. */
function whyNot() {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (spawnSync('ip', ['-V']).status !== 0)
    return 'iproute2 is not installed (scripts/reliability-deps.sh installs it)';
  const probe = spawnSync('ip', ['netns', 'add', `crew-probe-${sfx}`], { encoding: 'utf8' });
  if (probe.status !== 0)
    return `cannot make a network namespace (needs root or CAP_SYS_ADMIN): ${probe.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', `crew-probe-${sfx}`]);
  return undefined;
}

function buildNetwork() {
  for (const ns of [M, ...W]) {
    ip('netns', 'add', ns);
    made.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  ip('-n', M, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', M, 'addr', 'add', `${MASTER_IP}/24`, 'dev', 'br0');
  ip('-n', M, 'link', 'set', 'br0', 'up');
  W.forEach((ns, k) => {
    const i = k + 1;
    ip('link', 'add', `cm${i}${sfx}`, 'type', 'veth', 'peer', 'name', `cw${i}${sfx}`);
    ip('link', 'set', `cm${i}${sfx}`, 'netns', M);
    ip('link', 'set', `cw${i}${sfx}`, 'netns', ns);
    ip('-n', M, 'link', 'set', `cm${i}${sfx}`, 'master', 'br0');
    ip('-n', M, 'link', 'set', `cm${i}${sfx}`, 'up');
    ip('-n', ns, 'addr', 'add', `${SUBNET}.${10 + i}/24`, 'dev', `cw${i}${sfx}`);
    ip('-n', ns, 'link', 'set', `cw${i}${sfx}`, 'up');
  });
}

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const ns of made) spawnSync('ip', ['netns', 'del', ns]);
});

const reason = whyNot();
test(
  'a master and three workers in four namespaces: a link cut mid-map loses nothing, and the worker rejoins',
  { skip: reason ? `network namespace tier skipped: ${reason}` : false, timeout: scaled(180_000) },
  async (t) => {
    buildNetwork();
    const secret = newSecret();
    const master = await startMasterProcess({
      secret,
      port: 4813,
      env: { CREW_HOST: MASTER_IP, CREW_HEARTBEAT_MS: String(HEARTBEAT_MS) },
      wrap: ['ip', 'netns', 'exec', M],
    });
    cleanups.push(() => killHard(master.child));
    const workers = [];
    for (const [k, ns] of W.entries()) {
      const w = await startWorkerProcess({
        secret,
        name: `host${k + 1}`,
        mode: ['--connect', `${MASTER_IP}:${master.port}`],
        extra: ['--heartbeat-timeout', String(HEARTBEAT_MS), '--handshake-timeout', '1500'],
        wrap: ['ip', 'netns', 'exec', ns],
      });
      cleanups.push(() => killHard(w.child));
      workers.push(w);
    }
    await master.call('waitForWorkers', 3, 30_000);
    const byName = Object.fromEntries((await master.call('workers')).map((w) => [w.name, w]));
    assert.ok(
      byName.host2.address.startsWith(`${SUBNET}.12:`),
      `host2 connects from its own namespace (${byName.host2.address})`,
    );
    await master.call('evalAll', 'globalThis.scale = 3');
    const n = 900;
    const mapping = master.call(
      'mapCounted',
      '(x) => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15); return x * scale; }',
      n,
    );
    await master.events.waitFor(/"progress":150/, 60_000);
    const id = byName.host2.id;
    const cutAt = performance.now();
    ip('-n', W[1], 'link', 'set', `cw2${sfx}`, 'down');
    t.diagnostic('cut host2');
    const gone = await master.events.waitFor(new RegExp(`disconnect worker=${id} reason="no heartbeat`), 30_000, cutAt);
    const { results, lost, duplicated } = await mapping;
    assert.deepEqual(
      results,
      Array.from({ length: n }, (_, i) => i * 3),
    );
    assert.equal(lost, 0);
    assert.equal(duplicated, 0);
    const restoredAt = performance.now();
    ip('-n', W[1], 'link', 'set', `cw2${sfx}`, 'up');
    const back = await master.events.waitFor(new RegExp(`state worker=${id} state=ready`), 60_000, restoredAt);
    assert.ok(master.events.count(new RegExp(`replay worker=${id} forms=1`), restoredAt) >= 1, 'replayed before work');
    assert.equal(await master.call('evalOn', id, 'scale * 2'), 6);
    record({
      row: 'netns-cut',
      lost,
      duplicated,
      detectionMs: gone.at - cutAt,
      recoveryMs: back.at - restoredAt,
      note: `4 namespaces, veth + bridge; heartbeat ${HEARTBEAT_MS} ms; recovery = link up to rejoined and replayed`,
    });
  },
);
