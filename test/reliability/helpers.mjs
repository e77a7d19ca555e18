// Shared pieces of the reliability tests: real worker processes, audit trails that can be
// waited on, and the measurements that scripts/reliability-table.mjs turns into a table.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rpcClient } from '../json-lines.mjs';

export { until } from '../helpers.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = join(root, 'dist', 'cli.js');

// Never let a test create the user's real secret file.
process.env.XDG_CONFIG_HOME ??= mkdtempSync(join(tmpdir(), 'crew-rel-home-'));

/** A fresh secret for one test file. */
export function newSecret() {
  return randomBytes(24).toString('hex');
}

/** Lines of text that arrive over time, each stamped with performance.now(). */
export class Lines {
  lines = [];
  waiters = [];
  push(text) {
    const entry = { text, at: performance.now() };
    this.lines.push(entry);
    for (const w of [...this.waiters]) if (w.re.test(text)) w.resolve(entry);
  }
  /** Resolves with the first line (already seen, after `since`, or future) matching `re`. */
  waitFor(re, timeoutMs = 20_000, since = 0) {
    const hit = this.lines.find((l) => l.at >= since && re.test(l.text));
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = {
        re,
        resolve: (e) => {
          clearTimeout(timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(
          new Error(
            `no line matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines
              .slice(-15)
              .map((l) => l.text)
              .join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
  count(re, since = 0) {
    return this.lines.filter((l) => l.at >= since && re.test(l.text)).length;
  }
  /**
   * Audit lines `<event> <key>=…`: those written, plus those its summaries say were held back
   * (lines about refused and unauthenticated connections are limited, protocol/audit-limit.ts).
   */
  accounted(event, key) {
    const summary = new RegExp(
      ` ${event} summary="suppressed (\\d+) similar lines in the last [\\d.]+ s" like=${key}\\b`,
    );
    let held = 0;
    for (const l of this.lines) held += Number(summary.exec(l.text)?.[1] ?? 0);
    return this.count(new RegExp(` ${event} ${key}=`)) + held;
  }
}

/** An audit option that keeps the master's [A] lines for the test to read. */
export function auditTrail() {
  const lines = new Lines();
  return { lines, options: { to: (line) => lines.push(line), tasks: false } };
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * Starts `crew worker` as a real process. `mode` is `['--connect', addr]` or
 * `['--port', '0']`; resolves once it listens (for `--port`) or at once.
 */
export async function startWorkerProcess({ secret, mode, name, extra = [], env = {}, wrap = [] }) {
  const args = [cli, 'worker', ...mode, '--exit-with-parent', ...(name ? ['--name', name] : []), ...extra];
  const [cmd, ...pre] = wrap.length ? wrap : [process.execPath];
  const child = spawn(cmd, wrap.length ? [...pre, process.execPath, ...args] : args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CREW_SECRET: secret, ...env },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const out = new Lines();
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8').on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        out.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  const handle = { child, out, pid: child.pid, port: undefined };
  if (mode[0] === '--port') {
    const line = await out.waitFor(/listening on .*:(\d+)/, 15_000);
    handle.port = Number(/:(\d+)$/.exec(line.text)[1]);
  }
  return handle;
}

/** Kills a process and waits until it is gone. */
export async function killHard(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

/** Counts calls per index; `lost` and `duplicated` are what the table reports. */
export function exactlyOnce(n) {
  const seen = new Array(n).fill(0);
  return {
    hit(i) {
      seen[i]++;
    },
    get lost() {
      return seen.filter((c) => c === 0).length;
    },
    get duplicated() {
      return seen.reduce((a, c) => a + Math.max(0, c - 1), 0);
    },
  };
}

/**
 * Records one measured row for docs/reliability.md. Written only when the table script
 * runs the tests (CREW_RELIABILITY_OUT is set); a plain `npm test` just asserts.
 */
export function record(row) {
  const out = process.env.CREW_RELIABILITY_OUT;
  if (!out) return;
  const round = (v) => (typeof v === 'number' ? Math.round(v) : v);
  appendFileSync(
    out,
    JSON.stringify({ ...row, detectionMs: round(row.detectionMs), recoveryMs: round(row.recoveryMs) }) + '\n',
  );
}

/**
 * A TCP proxy on loopback. It records every byte in both directions (for searching the
 * wire), and can cut the link: while cut it forwards nothing and answers nothing, as a
 * pulled cable or a dead router would, and new connections hang.
 */
export async function tcpProxy(targetPort, targetHost = '127.0.0.1') {
  const net = await import('node:net');
  const pairs = new Set();
  const streams = [];
  let cut = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    const record = { up: [], down: [] };
    streams.push(record);
    const pair = { client, upstream };
    pairs.add(pair);
    const pipe = (from, to, chunks) =>
      from.on('data', (d) => {
        if (cut) return;
        chunks.push(Buffer.from(d));
        to.write(d);
      });
    pipe(client, upstream, record.up);
    pipe(upstream, client, record.down);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', () => !cut && end());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    streams,
    cut() {
      cut = true;
    },
    /** Ends the cut; connections made during it are dropped, as after a real partition. */
    restore() {
      cut = false;
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      return new Promise((r) => server.close(r));
    },
  };
}

/**
 * Starts test/reliability/fixtures/master.mjs: a master in its own process. `call(op, ...args)`
 * runs an operation there; `events` has its audit lines and progress as text lines.
 */
export async function startMasterProcess({ secret, port = 0, env = {}, wrap = [] }) {
  const script = join(root, 'test', 'reliability', 'fixtures', 'master.mjs');
  const [cmd, ...pre] = wrap.length ? wrap : [process.execPath];
  const child = spawn(cmd, wrap.length ? [...pre, process.execPath, script] : [script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CREW_SECRET: secret, CREW_PORT: String(port), ...env },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const events = new Lines();
  const call = rpcClient(child, (msg) => events.push(msg.audit ?? JSON.stringify(msg)));
  const line = await events.waitFor(/"listening":\d+/, 20_000);
  return {
    child,
    events,
    pid: child.pid,
    port: JSON.parse(line.text).listening,
    call,
  };
}

/** A TCP port that was free a moment ago. */
export async function freePort() {
  const net = await import('node:net');
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}
