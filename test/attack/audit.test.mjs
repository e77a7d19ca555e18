// The audit trail under attack. Anyone who can reach a worker's port can make it write: each
// connection that failed the handshake wrote one line, so a flood of connections grew the
// file without bound (about 1 MB per 25 s). And audit files were created 0644, readable by
// every local user. Now lines about refused and unauthenticated connections are limited per
// kind (a few a second); what is held back is counted into one summary line when the burst
// ends, so nothing is lost but the count. Audit files are 0600, and a wider existing one is
// tightened.
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lchownSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { killHard, newSecret, startWorkerProcess, until } from '../reliability/helpers.mjs';
import { authenticate, open } from '../reliability/wire.mjs';

const { Audit } = await loadSource('protocol/audit.ts');

const FLOOD = 2000;
const RAW = 300;
const secret = newSecret();
const dir = mkdtempSync(join(tmpdir(), 'crew-audit-attack-'));
const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const modeOf = (file) => (statSync(file).mode & 0o777).toString(8).padStart(4, '0');
const linesOf = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');

/** Counts `[A] … <event> <key>=` lines, and the lines the summaries of that kind say were held back. */
function tally(lines, event, key) {
  const written = lines.filter((l) => new RegExp(` ${event} ${key}=`).test(l)).length;
  const summaries = lines
    .map((l) =>
      new RegExp(` ${event} summary="suppressed (\\d+) similar lines in the last ([\\d.]+) s" like=${key}\\b`).exec(l),
    )
    .filter(Boolean);
  const suppressed = summaries.reduce((n, m) => n + Number(m[1]), 0);
  return { written, summaries: summaries.length, suppressed, total: written + suppressed };
}

/** One connection that fails the handshake: the real handshake with a wrong secret, or junk. */
async function failedHandshake(port, k) {
  if (k % 2 === 0) {
    const letIn = await authenticate(port, newSecret()).then(
      (c) => (c.ws.close(), true),
      () => false,
    );
    assert.equal(letIn, false, 'a wrong secret is refused');
    return;
  }
  const c = open(`ws://127.0.0.1:${port}/`);
  await c.opened;
  c.ws.send(`junk ${k}`);
  await c.closed;
}

/** Raw TCP that is not HTTP: the listener answers 400 and audits a bad frame. */
function rawJunk(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    // Read the 400, or the socket never sees the listener's end and never closes.
    s.resume();
    s.on('close', resolve);
    s.on('connect', () => s.write('\x00\x01 not http\r\n\r\n'));
  });
}

async function flood(count, concurrency, one) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

test('a new audit file is created 0600', () => {
  const file = join(dir, 'new.log');
  new Audit('worker', { to: file }).log('listen', { port: 1 });
  assert.equal(modeOf(file), '0600');
  assert.match(readFileSync(file, 'utf8'), / worker listen port=1\n$/);
});

test('an existing audit file readable by others is tightened to 0600, and the trail says so', () => {
  const file = join(dir, 'wide.log');
  writeFileSync(file, 'earlier line\n');
  chmodSync(file, 0o644);
  new Audit('worker', { to: file }).log('listen', { port: 2 });
  assert.equal(modeOf(file), '0600');
  const lines = linesOf(file);
  assert.equal(lines[0], 'earlier line', 'what was there is kept');
  assert.match(lines[1], / worker audit file=.*wide\.log tightened="mode 0644 to 0600"/);
  assert.match(lines[2], / worker listen port=2$/);
});

test("an audit file owned by another user, or reached through another user's symlink, is refused", (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root, to make files owned by another user');
  const theirs = join(dir, 'theirs.log');
  writeFileSync(theirs, '');
  chownSync(theirs, 65534, 65534);
  assert.throws(() => new Audit('worker', { to: theirs }), {
    code: 'CREW_BAD_ARGUMENT',
    message: /audit file .*theirs\.log is owned by user 65534, not by this user \(0\)/,
  });
  const link = join(dir, 'their-link.log');
  symlinkSync(join(dir, 'new.log'), link);
  lchownSync(link, 65534, 65534);
  assert.throws(() => new Audit('worker', { to: link }), {
    code: 'CREW_BAD_ARGUMENT',
    message: /audit file .*their-link\.log is a symbolic link owned by user 65534/,
  });
});

test('a summary names five sources and counts the rest; authenticated peers are not limited', async () => {
  const lines = [];
  let summarised;
  const summary = new Promise((resolve) => (summarised = resolve));
  const audit = new Audit('worker', {
    to: (line) => {
      lines.push(line);
      if (/ summary=/.test(line)) summarised(line);
    },
  });
  for (let k = 0; k < 100; k++)
    audit.log('refused', { peer: `10.0.0.${k % 8}:${1000 + k}`, reason: 'wrong or missing secret' });
  // A worker that has authenticated answers for its frames: each of its bad frames is kept.
  for (let k = 0; k < 50; k++) audit.log('bad-frame', { worker: 'w1', error: `bad frame ${k}` });
  assert.equal(
    lines.filter((l) => / refused peer=/.test(l)).length,
    10,
    'ten a second are written; the rest are counted',
  );
  assert.equal(lines.filter((l) => / bad-frame worker=w1 /.test(l)).length, 50, 'every one is written');
  // The audit's timer does not hold a process open (unref'd); this test has nothing else that does.
  const keepAlive = setInterval(() => {}, 1000);
  const line = await summary.finally(() => clearInterval(keepAlive));
  assert.match(
    line,
    /^\[A\] \S+ worker refused summary="suppressed 90 similar lines in the last [\d.]+ s" like=peer from="10\.0\.0\.2,10\.0\.0\.3,10\.0\.0\.4,10\.0\.0\.5,10\.0\.0\.6,\+3 more"$/,
  );
});

test(`a flood of ${FLOOD} failed handshakes and ${RAW} raw junk writes a bounded file, with summaries`, async (t) => {
  const file = join(dir, 'worker.log');
  const w = await startWorkerProcess({ secret, name: 'flooded', mode: ['--port', '0'], extra: ['--audit-file', file] });
  cleanups.push(() => killHard(w.child));
  await until(() => linesOf(file).some((l) => / listen host=/.test(l)), { what: 'the listen line' });
  assert.equal(modeOf(file), '0600', 'the audit file is private');

  const t0 = performance.now();
  await flood(FLOOD, 32, (k) => failedHandshake(w.port, k));
  await flood(RAW, 8, () => rawJunk(w.port));
  const floodMs = performance.now() - t0;

  // Every refusal is accounted for: written, or counted in a summary once its burst ended.
  await until(
    () => {
      const lines = linesOf(file);
      return tally(lines, 'refused', 'peer').total >= FLOOD && tally(lines, 'bad-frame', 'peer').total >= RAW;
    },
    { timeoutMs: 30_000, what: 'every refusal written or summarised' },
  );
  const lines = linesOf(file);
  const refused = tally(lines, 'refused', 'peer');
  const bad = tally(lines, 'bad-frame', 'peer');
  const bytes = statSync(file).size;
  t.diagnostic(
    `flood of ${FLOOD} + ${RAW} took ${Math.round(floodMs)} ms; the file has ${lines.length} lines, ${bytes} bytes; ` +
      `refused: ${refused.written} written + ${refused.suppressed} in ${refused.summaries} summaries; ` +
      `bad-frame: ${bad.written} written + ${bad.suppressed} in ${bad.summaries} summaries`,
  );
  assert.equal(refused.total, FLOOD, 'each refusal is written or counted, once');
  assert.equal(bad.total, RAW, 'each bad frame is written or counted, once');
  // A few lines a second of each kind while the flood lasts, then its summaries.
  const bound = 10 * Math.ceil(floodMs / 1000 + 1) + 5;
  assert.ok(refused.written <= bound, `${refused.written} refused lines written; at most ${bound}`);
  assert.ok(bad.written <= bound, `${bad.written} bad-frame lines written; at most ${bound}`);
  assert.ok(refused.summaries >= 1 && bad.summaries >= 1, 'each held-back burst is summarised');
  assert.match(
    lines.find((l) => / refused summary=/.test(l)),
    /like=peer from=127\.0\.0\.1$/,
    'the summary names where the lines came from',
  );
  assert.equal(modeOf(file), '0600');

  // Once the burst is over, the next refusal is written in full again.
  await failedHandshake(w.port, 0);
  await until(() => tally(linesOf(file), 'refused', 'peer').written > refused.written, {
    what: 'the refusal after the burst',
  });
  assert.match(linesOf(file).at(-1), /refused peer=127\.0\.0\.1:\d+ reason=".*wrong or missing secret"/);
  assert.equal(w.child.exitCode, null, 'the worker is alive');
});
