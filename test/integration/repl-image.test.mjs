// The terminal REPL as a person uses it (in a real terminal, tmux, reading the screen): the
// master has one image, so what the REPL defines a null pool sees; and a function a worker
// gives back is shown as the worker prints it, as SLIME prints #<FUNCTION …>, not an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, SECRET, tempDir } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { noTmux, showingScreen, startTerminal } from './terminal.mjs';

/** A line typed at the prompt, then what the REPL answered, then the next prompt, as a pattern. */
const answered = (typed, ...lines) =>
  new RegExp(
    `^crew> ${[typed, ...lines].map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\n')}\ncrew>$`,
    'm',
  );

test(
  'the REPL, a null pool and the workers: one master image, and function values printed',
  { skip: noTmux },
  async () => {
    const term = startTerminal(`${process.execPath} ${cli} master --local 2 --audit-file none`, {
      env: { CREW_SECRET: SECRET, XDG_CONFIG_HOME: tempDir() },
    });
    const ask = async (typed, ...lines) => {
      term.type(typed);
      return term.waitFor(answered(typed, ...lines), `the answer to ${typed}`, scaled(20_000));
    };
    await showingScreen(term, async () => {
      await term.waitFor(/^crew>$/m, 'the crew> prompt', scaled(30_000));
      // Swank Crew's NIL pool evaluates in the master's own image, the REPL's, and prints to its terminal.
      await ask('const crewK = 40', 'undefined');
      await ask(
        `await evalFormAllWorkers(null, 'console.log("printed by the master"); crewK + 1')`,
        'printed by the master',
        '[ 41 ]',
      );
      // And the other way: what a null pool's form defines, the REPL sees.
      await ask(`await evalOn(null, null, 'var fromNullPool = crewK + 2')`, 'undefined');
      await ask('fromNullPool', '42');
      // A definition whose value is a function: made on every worker, and shown as they print it.
      await ask(
        `await evalFormAllWorkers(pool, 'globalThis.f = function f(x) { return x * 2 }')`,
        '[ [Function: f], [Function: f] ]',
      );
      // The issue's own form: an arrow assigned to a property has no name, and Node says so.
      await ask(
        `await evalFormAllWorkers(pool, 'globalThis.g = (x) => x')`,
        '[ [Function (anonymous)], [Function (anonymous)] ]',
      );
      await ask(`await evalOn(pool, 'w2', 'f(21) + g(0)')`, '42');
      const screen = term.screen();
      assert.doesNotMatch(screen, /Uncaught|cannot send|ReferenceError/);
      term.type('.exit');
      await term.exited(scaled(20_000));
    });
  },
);
