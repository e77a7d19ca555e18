// Ctrl-C at the terminal REPL, as SLIME's C-c C-c: it interrupts a runaway evaluation on every
// worker, says where in one line of Crew's own, the prompt comes back and stays, and the
// workers serve again. The REPL runs in a real terminal (tmux), since only a terminal turns
// Ctrl-C into a key, and the test reads the screen a person sees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, SECRET, tempDir } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { noTmux, showingScreen, startTerminal } from './terminal.mjs';

test(
  'Ctrl-C during an awaited evaluation interrupts the workers, says where, and gives the prompt back',
  { skip: noTmux },
  async () => {
    const term = startTerminal(`${process.execPath} ${cli} master --local 2 --audit-file none`, {
      env: { CREW_SECRET: SECRET, XDG_CONFIG_HOME: tempDir() },
    });
    await showingScreen(term, async () => {
      await term.waitFor(/^crew>$/m, 'the crew> prompt', scaled(30_000));
      term.type('await evalFormAllWorkers(pool, "while (true) {}", { replayRequired: false })');
      // The loop runs on both workers once the progress line counts their tasks: a Ctrl-C
      // before the REPL has taken the line would only clear the line being typed.
      await term.waitFor(/0\/2 tasks/, 'the progress line of the evaluation', scaled(20_000));
      term.press('C-c');
      // Crew's line on a line of its own (the progress line cleared first), then the prompt.
      const screen = await term.waitFor(
        /^interrupted on w\d, w\d\ncrew>$/m,
        'the interrupt line and then the prompt',
        scaled(20_000),
      );
      assert.doesNotMatch(screen, /ERR_SCRIPT_EXECUTION_INTERRUPTED|Uncaught|tasks/);
      // The prompt stays: what is typed next follows it, and the workers answer.
      term.type('await evalFormAllWorkers(pool, "6 * 7", { replayRequired: false })');
      await term.waitFor(
        /^crew> await evalFormAllWorkers\(pool, "6 \* 7", \{ replayRequired: false \}\)\n\[ 42, 42 \]\ncrew>$/m,
        'both workers to answer again, after the prompt',
        scaled(20_000),
      );
      term.type('.exit');
      await term.exited(scaled(20_000));
    });
  },
);

test(
  'lines that come at an idle prompt (the audit trail after Ctrl-C, a worker’s late output) are written above it',
  { skip: noTmux },
  async () => {
    // The audit trail goes to the terminal, as it does by default.
    const term = startTerminal(`${process.execPath} ${cli} master --local 2`, {
      env: { CREW_SECRET: SECRET, XDG_CONFIG_HOME: tempDir() },
    });
    await showingScreen(term, async () => {
      await term.waitFor(
        /state=ready[^\n]*\n(?:.*\n)*crew>$/,
        'the workers ready and the crew> prompt',
        scaled(30_000),
      );
      term.type('await evalFormAllWorkers(pool, "while (true) {}", { replayRequired: false })');
      await term.waitFor(/0\/2 tasks/, 'the progress line of the evaluation', scaled(20_000));
      term.press('C-c');
      // Each worker's eval thread restarts after the prompt came back: the audit trail says so
      // above the prompt, which stays the last line.
      await term.waitFor(
        (s) => (s.match(/eval-thread worker=w\d restarted=interrupted/g) ?? []).length === 2 && /\ncrew>$/.test(s),
        'both restarts in the audit trail, and the prompt after them',
        scaled(20_000),
      );
      // A worker's output that comes while the user types keeps what was typed, after the prompt.
      term.type(
        'await evalFormAllWorkers(pool, "setTimeout(() => console.log(\'late\'), 1000); 1", { replayRequired: false })',
      );
      await term.waitFor(/\n\[ 1, 1 \]\ncrew>$/, 'the evaluation’s value and the prompt', scaled(20_000));
      term.press('-l', '6 * 7');
      const screen = await term.waitFor(
        (s) => (s.match(/^\[w\d\] late$/gm) ?? []).length === 2 && /\ncrew> 6 \* 7$/.test(s),
        'both workers’ late lines above a prompt that still holds "6 * 7"',
        scaled(20_000),
      );
      assert.doesNotMatch(screen, /crew> \[/, 'no line was written after a prompt');
      term.type('');
      await term.waitFor(/\ncrew> 6 \* 7\n42\ncrew>$/, 'the typed line to be evaluated', scaled(20_000));
      term.type('.exit');
      await term.exited(scaled(20_000));
    });
  },
);
