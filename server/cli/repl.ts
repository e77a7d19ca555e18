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

/** The names a REPL or a driver script finds in scope. */
export function apiGlobals(pool: WorkerPool): Record<string, unknown> {
  return { ...api, pool };
}

export function startRepl(pool: WorkerPool): Promise<void> {
  const where = pool.listenAddress ? ` Workers can dial ${pool.listenAddress.host}:${pool.listenAddress.port}.` : '';
  const ids = pool.workers.map((w) => w.id).join(', ') || 'none';
  process.stdout.write(`Crew master with ${pool.size} worker${pool.size === 1 ? '' : 's'} (${ids}).${where}\n`);
  process.stdout.write(
    `Try: await parallelMap(pool, x => \`\${x} * \${x}\`, [1, 2, 3])   ·  .workers  ·  .help  ·  .exit\n`,
  );
  const server = repl.start({
    prompt: 'crew> ',
    useGlobal: false,
    writer: (value: unknown) =>
      value instanceof RemoteError
        ? (value.stack ?? value.message)
        : inspect(value, { colors: process.stdout.isTTY, depth: 4 }),
  });
  Object.assign(server.context, apiGlobals(pool));
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
