// Two hosts on one machine for the TLS tiers: network namespaces joined by a veth pair, a
// master's side and a worker's (or editor's) side, a tcpdump capture of the link between them,
// and Crew processes started in either. Made before a file's tests and removed after them;
// `skip` says why when namespaces or tcpdump are missing.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { rpcClient } from '../json-lines.mjs';
import { killHard, Lines, newSecret, root, startWorkerProcess, until } from './helpers.mjs';
import { tcpStreams } from './pcap.mjs';
import { decodeWsStream } from './wire.mjs';

const sfx = randomBytes(2).toString('hex');
export const M = `crew-tm-${sfx}`;
export const W = `crew-tw-${sfx}`;
const [VM, VW] = [`tm${sfx}`, `tw${sfx}`];
export const MASTER_IP = '10.215.0.1';
export const WORKER_IP = '10.215.0.2';
export const dir = mkdtempSync(join(tmpdir(), 'crew-netns-tls-'));
const made = [];
export const cleanups = [];
const nsExec = (ns) => ['ip', 'netns', 'exec', ns];

function whyNot() {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 is not installed (scripts/reliability-deps.sh)';
  if (spawnSync('tcpdump', ['--version']).status !== 0) return 'tcpdump is not installed (scripts/reliability-deps.sh)';
  const probe = spawnSync('ip', ['netns', 'add', `crew-probe-${sfx}`], { encoding: 'utf8' });
  if (probe.status !== 0) return `cannot make a network namespace (needs root): ${probe.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', `crew-probe-${sfx}`]);
  return undefined;
}
const reason = whyNot();
export const skip = reason ? `network namespace TLS tier skipped: ${reason}` : false;

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
before(() => {
  if (reason) return;
  for (const ns of [M, W]) {
    ip('netns', 'add', ns);
    made.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  ip('link', 'add', VM, 'type', 'veth', 'peer', 'name', VW);
  ip('link', 'set', VM, 'netns', M);
  ip('link', 'set', VW, 'netns', W);
  ip('-n', M, 'addr', 'add', `${MASTER_IP}/24`, 'dev', VM);
  ip('-n', W, 'addr', 'add', `${WORKER_IP}/24`, 'dev', VW);
  ip('-n', M, 'link', 'set', VM, 'up');
  ip('-n', W, 'link', 'set', VW, 'up');
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const ns of made) spawnSync('ip', ['netns', 'del', ns]);
});

/** A master process in namespace `ns`, driven over JSON lines (fixtures/tls-master.mjs). */
export async function startMaster(ns, secret, env = {}) {
  const script = join(root, 'test', 'reliability', 'fixtures', 'tls-master.mjs');
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CREW_SECRET: secret, ...env },
  });
  cleanups.push(() => killHard(child));
  const events = new Lines();
  child.stderr.setEncoding('utf8').on('data', (d) => d.split('\n').forEach((l) => l && events.push(l)));
  const call = rpcClient(child, (msg) => events.push(msg.audit ?? JSON.stringify(msg)));
  const port = JSON.parse((await events.waitFor(/"listening":\d+/, 20_000)).text).listening;
  return { child, events, call, port };
}

export async function startWorker(ns, secret, mode, extra = []) {
  const w = await startWorkerProcess({ secret, name: `w-${ns}`, mode, extra, wrap: nsExec(ns) });
  cleanups.push(() => killHard(w.child));
  return w;
}

/**
 * tcpdump on the master's end of the veth. tcpdump says it listens a moment before it
 * captures, and on SIGINT it drops what the kernel has not handed it yet; so a probe datagram
 * from the master marks each end: the capture is live once the first is in the file, and holds
 * everything before the last once that one is. `stop` ends it and reads the TCP streams.
 */
export async function capture(master, name) {
  const file = join(dir, `${name}.pcap`);
  const filter = 'tcp or (udp and dst port 9)';
  const child = spawn('ip', ['netns', 'exec', M, 'tcpdump', '-i', VM, '-U', '-s', '0', '-w', file, filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanups.push(() => killHard(child));
  const err = new Lines();
  child.stderr.setEncoding('utf8').on('data', (d) => err.push(d));
  await err.waitFor(/listening on/, 10_000);
  const fence = async (what) => {
    const text = `crew-fence-${randomBytes(8).toString('hex')}`;
    await until(
      async () =>
        (await master.call('probe', WORKER_IP, text)) && existsSync(file) && readFileSync(file).includes(text),
      {
        what,
        everyMs: 100,
      },
    );
  };
  await fence('the capture to start');
  return async () => {
    await fence('the capture to hold all that was sent');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    return tcpStreams(file);
  };
}

/** Where `text` shows in the streams: as raw bytes, or inside a WebSocket frame (unmasked). */
export function findings(streams, text) {
  const found = [];
  for (const [direction, bytes] of streams) {
    if (bytes.includes(text)) found.push(`${direction} raw`);
    for (const f of decodeWsStream(bytes).frames) if (f.payload.includes(text)) found.push(`${direction} frame`);
  }
  return found;
}

/** A form with a marker of its own, and the result it gives: neither may cross in clear. */
export function markedForm() {
  const marker = `crewform${randomBytes(6).toString('hex')}`;
  const result = `${[...marker].reverse().join('')}-done`;
  return { code: `${JSON.stringify(marker)}.split('').reverse().join('') + '-done'`, marker, result };
}

/** Evaluates a marked form on every worker under capture; returns what the capture shows. */
export async function evaluateCaptured(master, name) {
  const stop = await capture(master, name);
  const { code, marker, result } = markedForm();
  assert.deepEqual(await master.call('evalAll', code), [result]);
  const streams = await stop();
  const bytes = [...streams.values()].reduce((n, b) => n + b.length, 0);
  return { bytes, formSeen: findings(streams, marker), resultSeen: findings(streams, result) };
}

/** A process in namespace `ns` that prints JSON lines; resolves once `ready` matches one. */
export async function startFixture(ns, script, env, ready) {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, join(root, 'test', 'reliability', 'fixtures', script)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    },
  );
  cleanups.push(() => killHard(child));
  const lines = new Lines();
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(buf.slice(0, i));
  });
  const first = ready ? JSON.parse((await lines.waitFor(ready, 120_000)).text) : undefined;
  return { child, lines, first };
}

/** `crew lsp --port 0 --host 0.0.0.0` in the master's namespace; resolves with its port. */
export async function startLspMaster(secretFile, extra = []) {
  const args = [join(root, 'dist', 'cli.js'), 'lsp', '--port', '0', '--host', '0.0.0.0', '--secret-file', secretFile];
  const child = spawn('ip', ['netns', 'exec', M, process.execPath, ...args, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => killHard(child));
  const out = new Lines();
  for (const s of [child.stdout, child.stderr])
    s.setEncoding('utf8').on('data', (d) => d.split('\n').forEach((l) => l && out.push(l)));
  const port = Number(/:(\d+)$/.exec((await out.waitFor(/listening for editors on 0\.0\.0\.0:\d+/)).text)[1]);
  return { child, out, port };
}

export function lspSecretFile() {
  const file = join(dir, `lsp-secret-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, `${newSecret()}\n`, { mode: 0o600 });
  return file;
}

/** The editor fixture in the worker's namespace: attaches to `target` and evaluates `code`. */
export async function editorEvaluates(target, secretFile, code) {
  const editor = await startFixture(
    W,
    'tls-editor.mjs',
    { CREW_EDITOR_TARGET: target, CREW_SECRET_FILE: secretFile, CREW_EDITOR_CODE: code },
    /"value"|"error"/,
  );
  return editor.first;
}
