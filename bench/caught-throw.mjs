// npm run bench:throw: what a throw that the user's code catches costs in a form, with the Crew
// Debugger off and on, against the same code in plain `vm` in this process. While the Crew
// Debugger is on, V8 pauses the eval thread at every throw and the worker's debug agent decides
// whether the error escapes the user's code (worker/debug/uncaught-check.ts): it cannot ask V8
// (docs/debugger.md, Limits). The last row adds a DevTools client attached through the master's
// CDP endpoint, as VS Code's debugger is under Crew: Debug Workers, so the relay sees each throw
// too (worker/debug/cdp-relay.ts). Rows are microseconds per caught throw, median of the rounds,
// after the same loop without a throw is taken away.
//
//   node scripts/build.mjs --no-types && node bench/caught-throw.mjs [--rounds 5] [--quick]
import { parseArgs } from 'node:util';
import vm from 'node:vm';
import WebSocket from 'ws';
import { cdpAddress, disconnectWorkers, evalOn, startMaster } from 'crew';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, quick: { type: 'boolean', default: false } },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a whole number >= 1, got ${values.rounds}`);
const quick = values.quick;

/** The user's code: `n` turns of a loop, each throwing an error it catches itself when `throws`. */
const LOOP =
  'function caughtThrows(n, throws) {\n' +
  '  let caught = 0;\n' +
  '  for (let i = 0; i < n; i++) {\n' +
  '    try {\n' +
  "      if (throws) throw new Error('turn ' + i);\n" +
  '      caught--;\n' +
  '    } catch {\n' +
  '      caught++;\n' +
  '    }\n' +
  '  }\n' +
  '  return caught;\n' +
  '}';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Microseconds per throw: `run(n, throws)` resolves with the milliseconds `n` turns took. */
async function perThrow(run, n) {
  await run(Math.min(n, 1000), true); // warm the JIT and the debugger's parse of the script
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const withThrow = await run(n, true);
    const without = await run(n, false);
    samples.push(((withThrow - without) * 1000) / n);
  }
  return median(samples);
}

function plainVm(n) {
  const context = vm.createContext({});
  new vm.Script(LOOP, { filename: '/bench/caught.js' }).runInContext(context);
  return perThrow((k, throws) => {
    const t = performance.now();
    const caught = vm.runInContext(`caughtThrows(${k}, ${throws})`, context);
    if (caught !== (throws ? k : -k)) throw new Error(`plain vm caught ${caught} of ${k}`);
    return performance.now() - t;
  }, n);
}

function onWorker(pool, n) {
  return perThrow(async (k, throws) => {
    // Timed on the worker: the link's round trip is no part of a throw's cost.
    const { ms, caught } = await evalOn(pool, 'w1', {
      code:
        `(() => { const t = performance.now(); const caught = caughtThrows(${k}, ${throws});` +
        ' return { ms: performance.now() - t, caught }; })()',
      filename: '/bench/main.js',
    });
    if (caught !== (throws ? k : -k)) throw new Error(`the worker caught ${caught} of ${k}`);
    return ms;
  }, n);
}

/** A DevTools client on the worker's eval thread, asking to stop at no throw (VS Code's default). */
async function attachDevTools(pool) {
  const ws = new WebSocket(await cdpAddress(pool, 'w1'));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  const replies = new Map();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.id) replies.get(m.id)?.(m);
    // A pause this client is told of would be a throw the user's code catches: none must reach it.
    else if (m.method === 'Debugger.paused') throw new Error('the DevTools client was told of a caught throw');
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      replies.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('Runtime.enable');
  await send('Debugger.enable');
  await send('Debugger.setPauseOnExceptions', { state: 'none' });
  return () => new Promise((resolve) => ws.once('close', resolve).close());
}

const rows = [];
const row = (label, us) => {
  rows.push(`| ${label} | ${us.toFixed(2)} |`);
  process.stderr.write(`${label}: ${us.toFixed(2)} µs\n`);
};

row('plain `vm`, this process', await plainVm(quick ? 20_000 : 200_000));
const pool = await startMaster({ local: 1, audit: { to: 'none' } });
try {
  await evalOn(pool, 'w1', { code: LOOP, filename: '/bench/caught.js' });
  row('Crew worker, Crew Debugger off', await onWorker(pool, quick ? 20_000 : 200_000));
  pool.setDebugOnError(true);
  // The mode reaches the worker with the next message; this evaluation carries it there first.
  await evalOn(pool, 'w1', '0');
  const debugged = quick ? 300 : 2000;
  row('Crew worker, Crew Debugger on', await onWorker(pool, debugged));
  const detach = await attachDevTools(pool);
  row('Crew worker, Crew Debugger on, DevTools attached', await onWorker(pool, debugged));
  await detach();
} finally {
  await disconnectWorkers(pool);
}

console.log(`a caught throw in a form, µs per throw, median of ${rounds} rounds (Node ${process.version})\n`);
console.log('| where | µs per caught throw |');
console.log('|---|---|');
for (const r of rows) console.log(r);
