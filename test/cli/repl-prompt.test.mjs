// The `crew>` prompt as a TypeScript user meets it, in a real terminal (tmux): it takes
// TypeScript, values that came back from workers pass `instanceof` there, and Ctrl-C stops
// code running on the master itself, not only on workers.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { cli, SECRET, tempDir } from '../helpers.mjs';
import { noTmux, startTerminal } from '../integration/terminal.mjs';
import { scaled } from '../time-scale.mjs';

/** One REPL per master, shared by the tests of that master. */
function replOf(args) {
  let term;
  return {
    async start() {
      term = startTerminal(`${process.execPath} ${cli} master ${args} --audit-file none`, {
        env: { CREW_SECRET: SECRET, XDG_CONFIG_HOME: tempDir() },
      });
      await term.waitFor(/^crew>$/m, 'the crew> prompt', scaled(30_000));
    },
    /** Types `line` and waits for `expected` (a RegExp) on the screen after it, then the prompt again. */
    async answer(line, expected, what) {
      const before = term.screen().length;
      term.type(line);
      try {
        return await term.waitFor(
          (s) => s.length > before && expected.test(s.slice(before)) && /\ncrew>$/.test(s),
          what,
          scaled(20_000),
        );
      } catch (err) {
        throw new Error(`${err.message}; the terminal shows:\n${term.screen()}`, { cause: err });
      }
    },
    term: () => term,
    async stop() {
      await term?.stop(scaled(20_000));
    },
  };
}

const withWorkers = replOf('--local 1');
before(() => (noTmux ? undefined : withWorkers.start()));
after(() => withWorkers.stop());

test('the prompt takes TypeScript, on one line and over several', { skip: noTmux }, async () => {
  await withWorkers.answer('const n: number = 5', /undefined/, 'a typed declaration to be taken');
  await withWorkers.answer('n * 2', /^10$/m, 'the typed constant to be there');
  withWorkers.term().type('function sq(x: number): number {');
  await withWorkers.term().waitFor(/number \{\n\.\.\.$/, 'the REPL to ask for more', scaled(20_000));
  await withWorkers.answer('return x * x }', /undefined/, 'the function to be defined');
  await withWorkers.answer('sq(7)', /^49$/m, 'the typed function to run');
  await withWorkers.answer('{ a: 1 }', /\{ a: 1 \}/, 'an object literal to stay an object');
  await withWorkers.answer(
    'await evalOn(pool, null, "const t: string = \'typed\'; t")',
    /'typed'/,
    'a TypeScript form to run on a worker',
  );
});

test('values that came back from a worker pass instanceof at the prompt', { skip: noTmux }, async () => {
  const made = [
    'new Map([[1, 2]])',
    'new Set([1])',
    'new Date(0)',
    'new Float64Array(2)',
    'new RangeError("r")',
    '[1]',
    '{}',
  ];
  await withWorkers.answer(`const v = await evalOn(pool, null, '[${made.join(', ')}]')`, /undefined/, 'the values');
  const classes = ['Map', 'Set', 'Date', 'Float64Array', 'RangeError', 'Array', 'Object'];
  await withWorkers.answer(
    `[${classes.map((c, i) => `v[${i}] instanceof ${c}`).join(', ')}, v[4] instanceof Error].join()`,
    /'true,true,true,true,true,true,true,true'/,
    'every instanceof to hold',
  );
  // What the prompt makes itself keeps passing, and a class made there counts only its own.
  await withWorkers.answer(
    'class M extends Map {}; [new Map() instanceof Map, new M() instanceof M, v[0] instanceof M].join()',
    /'true,true,false'/,
    "the prompt's own values to keep their checks",
  );
});

test('Ctrl-C stops a loop running on the master, and the prompt comes back', { skip: noTmux }, async () => {
  const master = replOf('--local 0');
  await master.start();
  try {
    const term = master.term();
    // The form says when it has begun: the loop runs on the master once that is on the screen.
    term.type(`await evalOn(pool, null, 'console.log("spinning"); while (true) {}')`);
    await term.waitFor(/^spinning$/m, 'the loop to begin on the master', scaled(20_000));
    term.press('C-c');
    const screen = await term.waitFor(
      /^spinning\n(?:\^C)?interrupted on master\ncrew>$/m,
      'the interrupt line and then the prompt',
      scaled(20_000),
    );
    assert.doesNotMatch(screen, /Uncaught|ERR_SCRIPT_EXECUTION_INTERRUPTED/);
    await master.answer('1 + 1', /^2$/m, 'the master to answer again');
    await master.answer('.workers', /^no workers: forms evaluate on the master$/m, 'the pool to say where forms go');
  } catch (err) {
    throw new Error(`${err.message}; the terminal shows:\n${master.term().screen()}`, { cause: err });
  } finally {
    await master.stop();
  }
});

test(
  '.workers says that a pool whose workers did not come does not evaluate on the master',
  {
    skip: noTmux,
  },
  async () => {
    // A port taken from the system and given back: the worker asked for never connects.
    const server = createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    const master = replOf(`--workers 127.0.0.1:${port}`);
    await master.start();
    try {
      await master.answer('.workers', /^no workers now: calls wait .* CREW_NO_WORKERS$/m, 'the pool to say so');
    } finally {
      await master.stop();
    }
  },
);
