// Runs each benchmark system in its own fresh process and collects its BENCH line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const systemsDir = fileURLToPath(new URL('../systems/', import.meta.url));
const require = createRequire(import.meta.url);

/** Debian's python3 first: that is where `npm run bench:peers-install` puts the peers. */
function findPython(module) {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return undefined;
}

/** The installed version of a package, found from its entry point (some do not export package.json). */
function nodePackage(name) {
  let dir;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return undefined;
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (pkg.name === name) return pkg.version;
  }
  return undefined;
}

/**
 * The systems that can run here. Crew and the ws floor always; the peers when installed.
 * Each entry: name, label, version, and the command line of one run.
 */
export function availableSystems(flags) {
  const node = (script, ...args) => [
    process.execPath,
    [...(script === 'crew.mjs' ? ['--expose-gc'] : []), systemsDir + script, ...args, ...flags],
  ];
  const systems = [
    { name: 'crew', label: 'Crew', version: nodePackage('crew') ?? '', cmd: node('crew.mjs') },
    { name: 'floor', label: 'ws floor', version: nodePackage('ws') ?? '', cmd: node('floor.mjs') },
  ];
  for (const peer of ['piscina', 'workerpool']) {
    const version = nodePackage(peer);
    if (version) systems.push({ name: peer, label: peer, version, cmd: node('node-peer.mjs', peer) });
  }
  for (const [name, module, label] of [
    ['ipyparallel', 'ipyparallel', 'ipyparallel'],
    ['dask', 'distributed', 'Dask'],
  ]) {
    const found = findPython(module);
    if (found)
      systems.push({
        name,
        label,
        version: found.version,
        cmd: [found.python, [systemsDir + 'py_peer.py', name, ...flags]],
      });
  }
  return systems;
}

/**
 * The scale rows: Crew's real master with `sizes` simulated workers each (scale.mjs and
 * worker-sim.mjs), one system per pool size.
 */
export function scaleSystems(sizes, flags) {
  return sizes.map((n) => ({
    name: `scale-${n}`,
    label: `Crew, ${n} workers`,
    version: nodePackage('crew') ?? '',
    cmd: [process.execPath, ['--expose-gc', systemsDir + 'scale.mjs', '--workers', String(n), ...flags]],
  }));
}

/** The run in progress, ended with the runner when it is interrupted. */
let running;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (running) process.kill(-running.pid, 'SIGKILL');
    process.exit(130);
  });
}

/** One run of one system: its metrics, or an error naming what went wrong. */
export function runOnce(system, timeoutMs) {
  return new Promise((resolve) => {
    const [cmd, args] = system.cmd;
    // Its own process group, so a timeout also ends what it started (Python's clusters).
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    running = child;
    const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      const line = out.split('\n').find((l) => l.startsWith('BENCH '));
      if (line) return resolve({ metrics: JSON.parse(line.slice(6)).metrics });
      const why = signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `exited with ${signal ?? code}`;
      resolve({ error: `${system.label} ${why}: ${err.trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

/**
 * Runs every system `runs` times, alternating: each round runs every system once, starting
 * from a different one each round so no system always goes first.
 */
export async function runAll(systems, runs, timeoutMs, log) {
  const samples = new Map(systems.map((s) => [s.name, []]));
  const errors = [];
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < systems.length; k++) {
      const system = systems[(r + k) % systems.length];
      const t0 = performance.now();
      const result = await runOnce(system, timeoutMs);
      log(
        `round ${r + 1}/${runs}: ${system.label} ${result.error ? 'FAILED' : 'done'} ` +
          `in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      if (result.error) errors.push(result.error);
      else samples.get(system.name).push(result.metrics);
    }
  }
  return { samples, errors };
}

/** Median, min and max of one metric over a system's runs. */
export function summarize(runs, key) {
  const xs = runs
    .map((m) => m[key])
    .filter((x) => typeof x === 'number' && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { median, min: xs[0], max: xs[xs.length - 1], n: xs.length };
}

export function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memGiB: totalmem() / 2 ** 30,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    load: loadavg(),
  };
}
