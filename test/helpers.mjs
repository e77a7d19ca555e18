// Shared test helpers: real pools of real worker processes on loopback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startMaster } from 'crew';
import { scaled } from './time-scale.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cli = join(root, 'dist', 'cli.js');
export const SECRET = 'crew-test-secret-0123456789abcdef';

/**
 * Source files of Crew and what they import, bundled and loaded, for tests of internals.
 * `entries` is one path (its module is returned) or several (one module exporting all of theirs).
 */
export async function loadSource(entries) {
  const list = [entries].flat();
  const name = list.map((e) => e.replace(/\W/g, '_')).join('+');
  const out = join(root, '.cache', 'test-unit', `${name.slice(0, 150)}-${process.pid}.cjs`);
  mkdirSync(dirname(out), { recursive: true });
  // Several entries become one bundle, so that they share one copy of what they import.
  const input =
    list.length === 1
      ? { entryPoints: [join(root, list[0])] }
      : {
          stdin: {
            contents: list.map((e) => `export * from './${e.replace(/\.ts$/, '')}';`).join('\n'),
            resolveDir: root,
            loader: 'ts',
          },
        };
  await build({
    ...input,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    packages: 'external',
    logLevel: 'warning',
  });
  return createRequire(import.meta.url)(out);
}

/**
 * Waits until `predicate` (which may be async) returns something truthy, and resolves with it.
 * Fails after `timeoutMs` (scaled by CREW_TEST_TIME_SCALE) with an error that names `what` was awaited.
 */
export async function until(predicate, { timeoutMs = 20_000, what = 'a condition', everyMs = 10 } = {}) {
  const limit = scaled(timeoutMs);
  const deadline = Date.now() + limit;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${limit} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `promise`, or a failure naming `what` if it has not settled within `ms` (scaled). `explain`,
 * if given, is asked at that moment what a person would look at: a process's output, a call's
 * state.
 */
export async function within(promise, what, { ms = 30_000, explain } = {}) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(async () => {
      const why = explain ? `; ${await explain()}` : '';
      reject(new Error(`${what} did not happen within ${scaled(ms)} ms${why}`));
    }, scaled(ms));
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fails when `call` settles: raced with the event a call must reach before it ends (a
 * suspension), it turns a call that ended without it into a failure that says how it ended.
 */
export function mustNotEnd(call, before) {
  return call.then(
    () => assert.fail(`the call ended without ${before}`),
    (err) => assert.fail(`the call failed without ${before}: ${err.message}`),
  );
}

/** A pool of `n` local worker processes; the audit trail is kept in `lines`. */
export async function localPool(n, opts = {}) {
  const lines = [];
  const output = [];
  const pool = await startMaster({
    local: n,
    secret: SECRET,
    audit: { to: (l) => lines.push(l), tasks: true },
    onOutput: (w, s, t) => output.push([w, s, t]),
    ...opts,
  });
  return Object.assign(pool, { auditLines: lines, outputLines: output });
}

/**
 * One pool of `n` local workers for a whole test file: opened before its first test and
 * closed after its last. Its `.pool` is the pool (set once the `before` hook has run).
 * `setup(pool)` runs in that same hook: top-level `before` hooks of one file do not wait
 * for each other in every Node version this runs on.
 */
export function sharedPool(n, { setup, ...opts } = {}) {
  const shared = { pool: undefined };
  before(async () => {
    shared.pool = await localPool(n, opts);
    await setup?.(shared.pool);
  });
  after(async () => {
    await shared.pool?.close();
  });
  return shared;
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'crew-test-'));
}

/** What `child` prints, kept as it comes: `.stdout` and `.stderr` read so far, at any time. */
export function outputOf(child) {
  const printed = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => (printed.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (printed.stderr += d));
  return printed;
}

/** Starts `crew` with args (under the Node binary `node`); resolves once `readyPattern` appears on stdout. */
export function startCrew(args, { env = {}, readyPattern, node = process.execPath } = {}) {
  const child = spawn(node, [cli, ...args], {
    env: { ...process.env, CREW_SECRET: SECRET, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const printed = outputOf(child);
  const out = {
    child,
    get stdout() {
      return printed.stdout;
    },
    get stderr() {
      return printed.stderr;
    },
  };
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout: printed.stdout, stderr: printed.stderr })),
  );
  out.exited = exited;
  if (!readyPattern) return Promise.resolve(out);
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = readyPattern.exec(printed.stdout);
      if (m) resolve(Object.assign(out, { match: m }));
    };
    child.stdout.on('data', check);
    void exited.then((r) => reject(new Error(`crew ${args.join(' ')} exited (${r.code}) before ready:\n${r.stderr}`)));
  });
}

/** Runs `crew` to completion. */
export async function runCrew(args, opts = {}) {
  const p = await startCrew(args, opts);
  if (opts.input !== undefined) p.child.stdin.end(opts.input);
  return p.exited;
}
