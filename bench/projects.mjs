// npm run bench:projects: time to the first result of a form that imports a large package
// graph (lodash-es, about 640 ES modules) on 2 fresh local workers, cold (nothing cached on
// the master or the workers) and warm (a new master's pool on workers whose module cache
// holds the graph), against the floor measured in the same run: a fresh Node process
// importing the same graph from its own disk. Goals: cold at most 3x the floor, warm at most
// 1.2x. lodash-es is installed into .cache/bench-projects on first use (npm).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { disconnectWorkers, evalFormAllWorkers, startMaster } from 'crew';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = process.argv.includes('--quick') ? 2 : 4;
const project = join(root, '.cache', 'bench-projects');
const lodash = join(project, 'node_modules', 'lodash-es', 'lodash.js');
if (!existsSync(lodash)) {
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), '{ "name": "crew-bench-project", "private": true }');
  console.log('bench:projects: installing lodash-es into .cache/bench-projects');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'lodash-es@4'], {
    cwd: project,
    stdio: 'inherit',
  });
}
const MAIN = join(project, 'main.ts');
const CODE = "import * as _ from 'lodash-es';\nconst n: number = _.chunk([1, 2, 3, 4, 5], 2).length;\nn";
writeFileSync(MAIN, CODE);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The floor: a fresh Node process imports the graph from its own disk; its own clock, not its start. */
function masterImportMs() {
  const url = JSON.stringify(pathToFileURL(lodash).href);
  const script = `const t = performance.now(); await import(${url}); console.log(performance.now() - t);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

/** Time to the first result on 2 fresh workers whose module cache is `cacheDir`. */
async function crewFirstResultMs(cacheDir, form) {
  process.env.CREW_CACHE_DIR = cacheDir;
  const pool = await startMaster({ local: 2, audit: { to: 'none' } });
  try {
    const t = performance.now();
    const out = await evalFormAllWorkers(pool, form, { replayRequired: false });
    const ms = performance.now() - t;
    if (out.join() !== '3,3') throw new Error(`wrong result: ${out.join()}`);
    return ms;
  } finally {
    await disconnectWorkers(pool);
  }
}

const floor = [];
const cold = [];
const warm = [];
for (let r = 0; r < ROUNDS; r++) {
  floor.push(masterImportMs());
  const cache = mkdtempSync(join(tmpdir(), 'crew-bench-modules-'));
  // A line of its own per round: the master transpiles a form's text once per process.
  const form = { code: `${CODE}\n// round ${r}`, filename: MAIN, line: 1 };
  // Cold: the first use of the graph in this process is its first round; later rounds find
  // the master's transpiled modules, but never the workers' cache.
  cold.push(await crewFirstResultMs(cache, form));
  warm.push(await crewFirstResultMs(cache, { ...form, code: `${form.code} (again)` }));
}
const f = median(floor);
const row = (name, xs, goal) => {
  const ratio = median(xs) / f;
  const verdict = ratio <= goal ? 'met' : '**not met**';
  console.log(`| ${name} | ${median(xs).toFixed(0)} ms | ${ratio.toFixed(2)}x | <= ${goal}x | ${verdict} |`);
};
console.log(`\nbench:projects: lodash-es, ${ROUNDS} rounds, medians; floor = a fresh Node importing it from disk\n`);
console.log('| case | time to first result | vs floor | goal | |');
console.log('|---|---|---|---|---|');
console.log(`| floor: Node imports the graph | ${f.toFixed(0)} ms | 1x | | |`);
row('cold: 2 fresh workers, empty cache', cold, 3);
row('warm: 2 fresh workers, graph cached', warm, 1.2);
console.log(`\nfirst round cold (the master transpiles too): ${cold[0].toFixed(0)} ms`);
