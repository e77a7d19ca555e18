#!/usr/bin/env node
// Runs the reliability tests (test/reliability/*.test.mjs) one file at a time, collects what
// each measured, and prints the table of docs/reliability.md. With --write it also puts the
// table into that file. The exit code is non-zero when any test failed.
//
//   node scripts/reliability-table.mjs [--write] [--only kill,auth]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROWS } from './reliability-rows.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'test', 'reliability');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
const out = join(mkdtempSync(join(tmpdir(), 'crew-rel-')), 'rows.jsonl');

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => !only || only.includes(f.replace('.test.mjs', '')))
  .sort();
const outcome = {};
let failed = 0;
for (const f of files) {
  const start = Date.now();
  process.stderr.write(`reliability: ${f} ... `);
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=tap', join(dir, f)], {
    cwd: root,
    env: { ...process.env, CREW_RELIABILITY_OUT: out },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const skip = /# SKIP (.*)/.exec(r.stdout)?.[1];
  const ok = r.status === 0;
  if (!ok) failed++;
  outcome[f] = { ok, skip, seconds: (Date.now() - start) / 1000 };
  process.stderr.write(`${ok ? (skip ? 'skipped' : 'ok') : 'FAILED'} (${outcome[f].seconds.toFixed(1)} s)\n`);
  if (!ok)
    process.stderr.write(
      r.stdout
        .split('\n')
        .filter((l) => /not ok|error|expected|actual|Error/.test(l))
        .slice(0, 30)
        .join('\n') + '\n',
    );
}

const measured = new Map();
if (existsSync(out))
  for (const line of readFileSync(out, 'utf8').split('\n').filter(Boolean)) {
    const row = JSON.parse(line);
    measured.set(row.row, row);
  }

const ms = (v) => (v === undefined || v === null ? '–' : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
const lines = [
  '| Fault or attack | How it is tested | Lost | Duplicated | Detection | Recovery | Result |',
  '|---|---|---|---|---|---|---|',
];
for (const row of ROWS) {
  const file = `${row.file}.test.mjs`;
  if (row.manual) {
    lines.push(
      `| ${row.fault} | ${row.how} | ${row.manual.lost} | ${row.manual.duplicated} | – | – | ${row.manual.result} |`,
    );
    continue;
  }
  const o = outcome[file];
  const m = measured.get(row.id);
  let result;
  if (!o) result = 'not run';
  else if (o.skip) result = `skipped: ${o.skip}`;
  else if (o.ok && m) result = `pass${m.note ? `: ${m.note}` : ''}`;
  else result = '**FAIL**';
  const cell = (v) => (m && v !== undefined ? v : '–');
  lines.push(
    `| ${row.fault} | ${row.how} | ${cell(m?.lost)} | ${cell(m?.duplicated)} ` +
      `| ${ms(m?.detectionMs)} | ${ms(m?.recoveryMs)} | ${result} |`,
  );
}
const table = lines.join('\n');
process.stdout.write(table + '\n');
const total = Object.values(outcome).reduce((a, o) => a + o.seconds, 0);
process.stderr.write(`reliability: ${files.length} files in ${total.toFixed(0)} s, ${failed} failed\n`);

if (args.includes('--write')) {
  const doc = join(root, 'docs', 'reliability.md');
  const text = readFileSync(doc, 'utf8');
  const start = '<!-- table:start -->';
  const end = '<!-- table:end -->';
  const stamp =
    `Measured ${new Date().toISOString().slice(0, 10)} on ${process.platform} ` +
    `(Node ${process.version}) by \`npm run test:reliability -- --write\`.`;
  const next = text.replace(new RegExp(`${start}[\\s\\S]*${end}`), `${start}\n${stamp}\n\n${table}\n${end}`);
  writeFileSync(doc, next);
}
process.exit(failed > 0 ? 1 : 0);
