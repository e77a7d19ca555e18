// Shared test helpers: real pools of real worker processes on loopback.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startMaster } from 'crew';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cli = join(root, 'dist', 'cli.js');
export const SECRET = 'crew-test-secret-0123456789abcdef';

/** One TypeScript source file of Crew and what it imports, bundled and loaded, for unit tests of internals. */
export async function loadSource(entry) {
  const out = join(root, '.cache', 'test-unit', `${entry.replace(/\W/g, '_')}-${process.pid}.cjs`);
  mkdirSync(dirname(out), { recursive: true });
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: out,
    packages: 'external',
    logLevel: 'warning',
  });
  return createRequire(import.meta.url)(out);
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

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'crew-test-'));
}

/** Starts `crew` with args; resolves once `readyPattern` appears on stdout. */
export function startCrew(args, { env = {}, readyPattern } = {}) {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, CREW_SECRET: SECRET, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const out = {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  out.exited = exited;
  if (!readyPattern) return Promise.resolve(out);
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = readyPattern.exec(stdout);
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

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
