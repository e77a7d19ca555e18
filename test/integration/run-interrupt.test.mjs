// Ctrl-C at a terminal during `crew run` signals the whole foreground process group: the
// master and the local workers it started. The master interrupts what the workers run, ends
// them and exits 130; the workers leave that decision to it, and none is left running.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, outputOf, SECRET, tempDir, until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';

const SCRIPT = `
const pids = await evalFormAllWorkers(pool, 'process.pid', { replayRequired: false });
console.log('worker pids ' + JSON.stringify(pids));
await evalFormAllWorkers(pool, 'while (true) {}', { replayRequired: false });
console.log('the endless loop ended');
`;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test(
  'Ctrl-C during crew run interrupts the workers, stops them and exits 130',
  { timeout: scaled(60_000) },
  async () => {
    const file = join(tempDir(), 'spin.ts');
    writeFileSync(file, SCRIPT);
    // Its own process group, as a shell gives a foreground job, so the signal reaches every member.
    const child = spawn(process.execPath, [cli, 'run', file, '--local', '2', '--audit-file', 'none'], {
      env: { ...process.env, CREW_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const printed = outputOf(child);
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const line = await until(() => /worker pids (\[.*\])/.exec(printed.stdout), {
        what: 'the workers to report their pids',
      });
      const pids = JSON.parse(line[1]);
      assert.equal(pids.length, 2);
      // The loop is running once both workers are busy: the pool says so.
      process.kill(-child.pid, 'SIGINT');
      const exit = await exited;
      assert.deepEqual(exit, { code: 130, signal: null }, `exit status; stderr:\n${printed.stderr}`);
      assert.match(printed.stderr, /crew: interrupted w1, w2; stopping the workers/);
      assert.doesNotMatch(printed.stdout, /the endless loop ended/);
      await until(() => pids.every((pid) => !alive(pid)), { timeoutMs: 10_000, what: 'the local workers to be gone' });
    } finally {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  },
);
