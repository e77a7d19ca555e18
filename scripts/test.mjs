// Runs every test/**/*.test.mjs with node's test runner, one file at a time. Node 20 neither
// expands globs nor skips helper modules when given a folder, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
// Each file's limit scales with CREW_TEST_TIME_SCALE as every other limit does: the Slurm
// tier's file takes about 5 minutes on a busy machine.
import { scaled } from '../test/time-scale.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.mjs') ? [join(dir, e.name)] : [],
  );
}
const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .sort();
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', `--test-timeout=${scaled(300_000)}`, ...process.argv.slice(2), ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
