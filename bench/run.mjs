// npm run bench: every workload on Crew, on the bare `ws` floor and on every installed peer,
// alternating runs, then a Markdown table of medians, spread and Crew ÷ peer ratios.
//
//   node bench/run.mjs [--runs 5] [--quick] [--only crew,piscina] [--json out.json]
//   node bench/run.mjs --scale [--runs 3] [--quick]   the master with 2 to 1,000 simulated workers
//
// Build first (npm run bench does): the Crew system imports the built package.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { goals, table } from './lib/report.mjs';
import { availableSystems, machine, runAll, scaleSystems } from './lib/runner.mjs';
import { SCALE_SIZES, scaleGoals, scaleTable } from './lib/scale-report.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    scale: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    json: { type: 'string' },
    timeout: { type: 'string', default: '300' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: node bench/run.mjs [--runs N] [--quick] [--only ' +
      'crew,floor,piscina,workerpool,ipyparallel,dask] [--json FILE] ' +
      '[--timeout SECONDS]\n' +
      '       node bench/run.mjs --scale [--runs N] [--quick] [--json FILE]   (default 3 runs: the ' +
      'master with 2, 64, 256 and 1,000 simulated workers)',
  );
  process.exit(0);
}
const runs = Number(values.runs ?? (values.scale ? 3 : 5));
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number >= 1, got ${values.runs}`);

const flags = values.quick ? ['--quick'] : [];
let systems = values.scale ? scaleSystems(SCALE_SIZES, flags) : availableSystems(flags);
// Peers left out by --only are not missing: only those not installed are.
const missing = values.scale
  ? []
  : ['piscina', 'workerpool', 'ipyparallel', 'dask'].filter((p) => !systems.some((s) => s.name === p));
if (values.only && values.scale) throw new Error('--only does not apply to --scale');
if (values.only) {
  const wanted = values.only.split(',');
  const unknown = wanted.filter((w) => !systems.some((s) => s.name === w));
  if (unknown.length)
    throw new Error(
      `--only names systems that are not available here: ${unknown.join(', ')} ` +
        `(available: ${systems.map((s) => s.name).join(', ')})`,
    );
  systems = systems.filter((s) => wanted.includes(s.name));
}

const before = machine();
const log = (line) => process.stderr.write(`${line}\n`);
log(
  `systems: ${systems.map((s) => s.label).join(', ')}` +
    (missing.length ? ` (not installed: ${missing.join(', ')}; npm run bench:peers-install)` : ''),
);
const t0 = performance.now();
const { samples, errors } = await runAll(systems, runs, Number(values.timeout) * 1000, log);
const after = loadavg();

const header = [
  `Machine: ${before.cpu}, ${before.cores} cores, ${before.memGiB.toFixed(0)} ` +
    `GiB, ${before.platform}, Node ${before.node}.`,
  `Load average (1 min) ${before.load[0].toFixed(2)} before and ${after[0].toFixed(2)} ` +
    `after; ${runs} alternating runs${values.quick ? ' (quick sizes)' : ''} ` +
    `in ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
  'Cells: median ±half the min-max spread; (x) after a number is Crew ÷ that system for the same row.',
];
const body = values.scale
  ? `${scaleTable(samples)}\n\nGoals at 1,000 workers:\n\n${scaleGoals(samples)}`
  : `${table(systems, samples)}\n\nGoals:\n\n${goals(samples)}`;
console.log(`${header.join('\n')}\n\n${body}`);
if (errors.length) console.log(`\nFailed runs:\n${errors.map((e) => `- ${e}`).join('\n')}`);
if (values.json)
  writeFileSync(
    values.json,
    JSON.stringify(
      { machine: before, loadAfter: after, runs, systems, samples: Object.fromEntries(samples), errors },
      null,
      2,
    ),
  );
if (errors.length) process.exitCode = 1;
