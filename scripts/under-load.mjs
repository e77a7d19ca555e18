// Runs test tiers N times in a row, with one CPU-bound process per core beside them (a "hog"),
// and prints passes out of runs per tier: a test that holds only on an idle machine fails here
// as it would in a busy CI. See docs/reliability.md, "Under load".
//
//   node scripts/under-load.mjs [--runs N] [--hog | --no-hog | --both] [--name PATTERN] TIER|FILE...
//   npm run test:under-load -- --runs 10 --name 'keeps crashing' test/e2e/vscode.e2e.mjs
//
// A TIER is a folder of test/ (unit, integration, lsp, reliability, seeds, attack, slurm, ssh),
// whose *.test.mjs files run as scripts/test.mjs runs them, or `e2e`, which runs the files of
// `npm run test:e2e`. A FILE is one test file, its own tier. --name passes node's
// --test-name-pattern. Each run's output goes to test-results/under-load/; failed runs are named.
// CREW_TEST_TIME_SCALE (the one factor every test time limit is multiplied by) is passed on as set.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The e2e files are the ones `npm run test:e2e` runs, in its order, so that the two never differ.
const E2E = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  .scripts['test:e2e'].split(' ')
  .filter((word) => word.startsWith('test/e2e/'));

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    hog: { type: 'boolean' },
    'no-hog': { type: 'boolean' },
    both: { type: 'boolean' },
    name: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help || positionals.length === 0) {
  console.log(
    'usage: node scripts/under-load.mjs [--runs N] [--hog | --no-hog | --both] [--name PATTERN] TIER|FILE...\n' +
      'tiers: e2e, or a folder of test/ (unit, integration, lsp, reliability, seeds, attack, slurm, ssh)',
  );
  process.exit(positionals.length === 0 && !opts.help ? 2 : 0);
}
const runs = Number(opts.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a whole number above 0, not ${opts.runs}`);
const modes = opts.both ? [false, true] : [!opts['no-hog']];

/** The files of a tier: a test/ folder's *.test.mjs, the e2e files, or one file given by path. */
function filesOf(tier) {
  if (tier === 'e2e') return E2E;
  if (existsSync(join(root, tier)) && statSync(join(root, tier)).isFile()) return [tier];
  const dir = join(root, 'test', tier);
  if (!existsSync(dir)) throw new Error(`no tier "${tier}": neither test/${tier}/ nor a file`);
  const walk = (d) =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.test.mjs') ? [join(d, e.name)] : [],
    );
  return walk(dir)
    .map((f) => relative(root, f))
    .sort();
}

const tiers = positionals.map((t) => ({ tier: t, files: filesOf(t) }));
const e2e = tiers.some(({ files }) => files.some((f) => f.startsWith('test/e2e/')));

// Once, before any run and without the hog: what the tiers run against.
const prep = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
};
prep(process.execPath, ['scripts/build.mjs', '--no-types']);
if (e2e) prep('bash', ['scripts/e2e-install.sh']);

/**
 * One busy process per core. Each also ends itself once its parent is gone (its parent pid
 * changes), so even a SIGKILL of this script leaves no hog behind for long.
 */
function startHogs() {
  const code = `const parent = process.ppid;
for (;;) { for (let i = 0; i < 5e7; i++); if (process.ppid !== parent) process.exit(0); }`;
  return Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', code], { stdio: 'ignore' }),
  );
}

function stopHogs(hogs) {
  for (const h of hogs) {
    if (h.exitCode === null && h.signalCode === null) {
      try {
        process.kill(h.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

let hogs = [];
let child;
// An interrupted run still stops what it started, each by its pid.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopHogs(hogs);
    if (child?.exitCode === null) {
      try {
        // The test runner's own group: it, its test files and what they started.
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    process.exit(130);
  });
}

const logs = join(root, 'test-results', 'under-load');
mkdirSync(logs, { recursive: true });

/** One run of a tier; resolves with its exit code and the names of the tests that failed. */
function runOnce({ tier, files }, hog, n) {
  const log = join(logs, `${basename(tier).replace(/\W+/g, '_')}-${hog ? 'hog' : 'idle'}-${n}.log`);
  const args = ['--test', '--test-concurrency=1', '--test-reporter=spec'];
  // Test files carry their own time limits, scaled by CREW_TEST_TIME_SCALE; this is a backstop.
  if (!files.some((f) => f.startsWith('test/e2e/'))) args.push('--test-timeout=300000');
  if (opts.name) args.push(`--test-name-pattern=${opts.name}`);
  const out = createWriteStream(log);
  let text = '';
  return new Promise((resolve) => {
    // In a group of its own, so that an interrupt can end the whole run.
    child = spawn(process.execPath, [...args, ...files], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (d) => {
        out.write(d);
        text += d;
      });
    }
    child.on('close', (code, signal) => {
      out.end();
      // The spec reporter lists failures under "failing tests" with a ✖ before each name.
      const failing = text.split('✖ failing tests:')[1] ?? '';
      const names = [...failing.matchAll(/^\s*✖ (.+?)(?: \(\d[\d.]*ms\))?$/gm)].map((m) => m[1]);
      resolve({ ok: code === 0, why: code === 0 ? '' : `exit ${code ?? signal}`, names, log });
    });
  });
}

const rows = [];
try {
  for (const hog of modes) {
    hogs = hog ? startHogs() : [];
    if (hog) console.log(`under-load: ${hogs.length} hog processes (pids ${hogs.map((h) => h.pid).join(', ')})`);
    try {
      for (const t of tiers) {
        let passes = 0;
        const failures = [];
        for (let n = 1; n <= runs; n++) {
          const started = Date.now();
          const r = await runOnce(t, hog, n);
          const s = ((Date.now() - started) / 1000).toFixed(0);
          if (r.ok) passes++;
          else failures.push(`run ${n}: ${r.names.join('; ') || r.why} (${relative(root, r.log)})`);
          console.log(
            `under-load: ${t.tier}${hog ? ' (hog)' : ''} run ${n}/${runs}: ${r.ok ? 'pass' : 'FAIL'} in ${s} s`,
          );
        }
        rows.push({ tier: t.tier, hog, passes, failures });
      }
    } finally {
      stopHogs(hogs);
      hogs = [];
    }
  }
} finally {
  stopHogs(hogs);
}

const scale = process.env.CREW_TEST_TIME_SCALE || '1';
console.log(
  `\nunder-load: ${runs} run(s) per tier, ${availableParallelism()} cores, CREW_TEST_TIME_SCALE=${scale}` +
    (opts.name ? `, tests matching /${opts.name}/` : ''),
);
console.log('| tier | hog | passes |\n|---|---|---|');
for (const r of rows)
  console.log(`| ${r.tier} | ${r.hog ? `${availableParallelism()} × busy loop` : 'none'} | ${r.passes}/${runs} |`);
for (const r of rows) for (const f of r.failures) console.log(`${r.tier}${r.hog ? ' (hog)' : ''}: ${f}`);
process.exitCode = rows.every((r) => r.passes === runs) ? 0 : 1;
