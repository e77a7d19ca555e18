// Ctrl-C at the terminal REPL, as SLIME's C-c C-c: it interrupts a runaway evaluation on every
// worker, the prompt comes back, and the workers serve again. The REPL runs on a real
// terminal (a pty from util-linux's `script`), since only a terminal turns Ctrl-C into a key.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { cli, SECRET, until } from '../helpers.mjs';

const noScript = spawnSync('sh', ['-c', 'command -v script']).status !== 0 ? 'util-linux script is missing' : false;

test(
  'Ctrl-C during an awaited evaluation interrupts the workers and gives the prompt back',
  { skip: noScript },
  async () => {
    const command = `${process.execPath} ${cli} master --local 2 --audit-file none`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, CREW_SECRET: SECRET, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    // What a person would read: the terminal's colour codes taken out.
    // eslint-disable-next-line no-control-regex
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const prompts = () => out.split('crew> ').length - 1;
    try {
      await until(() => prompts() >= 1, { timeoutMs: 30_000, what: 'the crew> prompt' });
      child.stdin.write('await evalFormAllWorkers(pool, "while (true) {}", { replayRequired: false })\r');
      // The loop runs on both workers once the progress line counts their tasks: a Ctrl-C
      // before the REPL has taken the line would only clear the line being typed.
      await until(() => /0\/2 tasks/.test(out), { what: 'the progress line of the evaluation' });
      child.stdin.write('\x03');
      await until(() => /interrupted w\d, w\d: their eval threads restart/.test(out), { what: 'the interrupt notice' });
      await until(() => prompts() >= 2, { what: 'the prompt to come back' });
      assert.match(out, /interrupted by `SIGINT`/);
      child.stdin.write('await evalFormAllWorkers(pool, "6 * 7", { replayRequired: false })\r');
      await until(() => /\[ 42, 42 \]/.test(out), { what: 'both workers to answer again' });
      child.stdin.write('.exit\r');
      await exited;
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
  },
);
