/**
 * The master's terminal REPL: Node's own REPL (so top-level await, completion and history
 * work) with the pool and the whole API in scope.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import repl from 'node:repl';
import { inspect } from 'node:util';
import { RemoteError } from '../../protocol/errors';
import { defaultSecretFile } from '../../protocol/secret';
import * as api from '../api/api-globals';
import type { WorkerPool } from '../pool/pool';

/**
 * SLIME's C-c C-c: Ctrl-C while an evaluation runs interrupts it on every worker running it,
 * as well as ending the wait at the prompt. At an idle prompt Ctrl-C keeps Node's meaning.
 */
function interruptOnCtrlC(server: repl.REPLServer, pool: WorkerPool): void {
  let evaluating = 0;
  const evaluate = server.eval.bind(server);
  (server as { eval: repl.REPLEval }).eval = (code, context, file, cb) => {
    evaluating++;
    evaluate(code, context, file, (err, result) => {
      evaluating--;
      cb(err, result);
    });
  };
  server.on('SIGINT', () => {
    if (evaluating > 0) reportInterrupt(pool.interrupt());
  });
}

function reportInterrupt(ids: string[]): void {
  process.stdout.write(
    ids.length
      ? `interrupted ${ids.join(', ')}: their eval threads restart and replay their setup forms\n`
      : 'nothing was running on the workers\n',
  );
}

/** The names a REPL or a driver script finds in scope. */
export function apiGlobals(pool: WorkerPool): Record<string, unknown> {
  return { ...api, pool };
}

export function startRepl(pool: WorkerPool): Promise<void> {
  const where = pool.listenAddress ? ` Workers can dial ${pool.listenAddress.host}:${pool.listenAddress.port}.` : '';
  const ids = pool.workers.map((w) => w.id).join(', ') || 'none';
  const missed = pool.connectErrors.length;
  const count = missed ? `${pool.size} of ${pool.size + missed}` : `${pool.size}`;
  process.stdout.write(`Crew master with ${count} worker${pool.size + missed === 1 ? '' : 's'} (${ids}).${where}\n`);
  for (const err of pool.connectErrors) process.stdout.write(`  not connected: ${err.message}\n`);
  process.stdout.write(
    `Try: await parallelMap(pool, x => \`\${x} * \${x}\`, [1, 2, 3])   ·  .workers  ·  .help  ·  .exit\n`,
  );
  const server = repl.start({
    prompt: 'crew> ',
    useGlobal: false,
    // Ctrl-C during an evaluation (an awaited call included) ends it and gives the prompt back.
    breakEvalOnSigint: true,
    writer: (value: unknown) =>
      value instanceof RemoteError
        ? (value.stack ?? value.message)
        : inspect(value, { colors: process.stdout.isTTY, depth: 4 }),
  });
  Object.assign(server.context, apiGlobals(pool));
  interruptOnCtrlC(server, pool);
  server.defineCommand('workers', {
    help: 'List the workers in the pool',
    action() {
      for (const w of pool.workers)
        process.stdout.write(
          `${w.id}  ${w.name}  ${w.address}  ${w.state}  in flight ${w.inFlight}  done ${w.tasksDone}\n`,
        );
      if (pool.workers.length === 0) process.stdout.write('no workers: forms evaluate on the master\n');
      this.displayPrompt();
    },
  });
  server.defineCommand('interrupt', {
    help: 'Interrupt what the workers are running (evaluations started in the background too)',
    action() {
      reportInterrupt(pool.interrupt());
      this.displayPrompt();
    },
  });
  const history = join(dirname(defaultSecretFile()), 'repl_history');
  try {
    mkdirSync(dirname(history), { recursive: true });
    server.setupHistory(history, () => {});
  } catch {
    /* history is a convenience */
  }
  return new Promise((resolve) => {
    server.on('exit', () => {
      void pool.close('REPL exited').then(resolve);
    });
  });
}
