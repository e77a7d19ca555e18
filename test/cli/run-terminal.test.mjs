// `crew run` at a real terminal (tmux): the progress bar never glues onto other output, and
// Ctrl-C stops code running on the master itself (the script's own loop, or a form evaluated
// there), with a second Ctrl-C ending the process at once even while the master is stuck.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, SECRET, tempDir } from '../helpers.mjs';
import { noTmux, startTerminal } from '../integration/terminal.mjs';
import { scaled } from '../time-scale.mjs';

/**
 * Runs `crew run` on `scriptText` in a terminal, under a shell that then shows the exit
 * status. The shell traps SIGINT (a handler, which the command does not inherit), so it
 * outlives Ctrl-C; `body` gets the terminal, which is stopped after it.
 */
async function inTerminal(scriptText, args, body) {
  const dir = tempDir();
  const file = join(dir, 'script.ts');
  writeFileSync(file, scriptText);
  const command = `${process.execPath} ${cli} run ${file} --audit-file none ${args}; echo "exit status $?"; sleep 600`;
  const term = startTerminal(`sh -c 'trap "true" INT; ${command}'`, {
    env: { CREW_SECRET: SECRET, XDG_CONFIG_HOME: dir },
  });
  try {
    await body(term);
  } catch (err) {
    throw new Error(`${err.message}; the terminal shows:\n${term.screen()}`, { cause: err });
  } finally {
    await term.stop(scaled(20_000));
  }
}

const BAR_SCRIPT = `import { existsSync, writeFileSync } from 'node:fs';
const [shown, go] = process.argv.slice(2);
const pause = 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)';
const hold = \`while (!require('node:fs').existsSync(\${JSON.stringify(go)})) \${pause};\`;
const squares = parallelMap(pool, (i: number) => \`\${hold} \${i} * \${i}\`, [1, 2, 3, 4]);
while (!existsSync(shown)) await new Promise((r) => setTimeout(r, 20));
console.log('written while the bar is up');
writeFileSync(go, '');
console.log('sum ' + (await squares).reduce((a, b) => a + b));
`;

test('the progress bar is cleared before the script writes', { skip: noTmux }, async () => {
  const dir = tempDir();
  const [shown, go] = [join(dir, 'shown'), join(dir, 'go')];
  await inTerminal(BAR_SCRIPT, `--local 1 -- ${shown} ${go}`, async (term) => {
    // The tasks hold until the script has written: the bar is up when it writes.
    await term.waitFor(/\] 0\/4 tasks/, 'the progress bar', scaled(30_000));
    writeFileSync(shown, '');
    const screen = await term.waitFor(/^(?:\^C)?exit status \d+$/m, 'the script to end', scaled(30_000));
    assert.match(screen, /^written while the bar is up$/m);
    assert.match(screen, /^sum 30$/m);
    assert.match(screen, /^exit status 0$/m);
  });
});

test("Ctrl-C stops the script's own loop on the master, and crew run exits 130", { skip: noTmux }, async () => {
  const script = "console.log('the script spins');\nwhile (true) {}\n";
  await inTerminal(script, '--local 1', async (term) => {
    await term.waitFor(/^the script spins$/m, 'the loop to begin', scaled(30_000));
    term.press('C-c');
    const screen = await term.waitFor(/^(?:\^C)?exit status \d+$/m, 'crew run to exit', scaled(30_000));
    assert.match(screen, /crew: interrupted.*; stopping the workers/);
    assert.match(screen, /^(?:\^C)?exit status 130$/m);
  });
});

test(
  'Ctrl-C stops a form looping on the master; a second one exits at once while the script spins',
  {
    skip: noTmux,
  },
  async () => {
    const script = `try {
  await evalOn(null, null, 'console.log("the form spins"); while (true) {}');
} catch (err) {
  console.log('the script caught ' + err.code);
}
while (true) {}
`;
    await inTerminal(script, '--local 1', async (term) => {
      await term.waitFor(/^the form spins$/m, 'the form to begin', scaled(30_000));
      term.press('C-c');
      await term.waitFor(/^the script caught CREW_INTERRUPTED$/m, 'the form to be stopped', scaled(30_000));
      assert.match(term.screen(), /crew: interrupted/);
      assert.doesNotMatch(term.screen(), /exit status/);
      // The script holds the master's thread now: only Node's default for SIGINT can end it.
      term.press('C-c');
      const screen = await term.waitFor(/^(?:\^C)?exit status \d+$/m, 'crew run to exit', scaled(30_000));
      assert.match(screen, /^(?:\^C)?exit status 130$/m);
    });
  },
);
