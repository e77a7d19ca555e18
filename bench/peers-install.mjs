// npm run bench:peers-install: the Python peers from Debian's packages. The benchmark uses
// them when they are present and leaves them out otherwise.
import { spawnSync } from 'node:child_process';

const packages = ['python3-ipyparallel', 'python3-distributed'];
const asRoot = process.getuid?.() === 0 ? [] : ['sudo'];
const run = (args) => {
  const cmd = [...asRoot, ...args];
  console.log(`$ ${cmd.join(' ')}`);
  const r = spawnSync(cmd[0], cmd.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) throw new Error(`cannot run ${cmd[0]}: ${r.error.message} (this needs Debian or Ubuntu with apt-get)`);
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(['apt-get', 'update']);
run(['apt-get', 'install', '-y', ...packages]);
const check = spawnSync(
  '/usr/bin/python3',
  ['-c', 'import ipyparallel, distributed; print(ipyparallel.__version__, distributed.__version__)'],
  { encoding: 'utf8' },
);
console.log(
  check.status === 0
    ? `installed: ipyparallel and Dask distributed ${check.stdout.trim()}`
    : `installed, but /usr/bin/python3 cannot import them: ${check.stderr.trim()}`,
);
