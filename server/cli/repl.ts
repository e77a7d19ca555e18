/**
 * The master's terminal REPL: Node's own REPL (so top-level await, completion and history
 * work), evaluating in the master's image, with the pool and the whole API in scope.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import repl from 'node:repl';
import { RemoteError } from '../../protocol/errors';
import { defaultSecretFile } from '../../protocol/secret';
import { boundedInspect, REPL_LIMITS } from '../../protocol/value-view';
import * as api from '../api/api-globals';
import { masterImage } from '../api/master-image';
import type { WorkerPool } from '../pool/pool';
import { PromptLines } from './prompt-lines';
import { evaluateAtPrompt, evaluateInImage, reportInterrupt } from './repl-eval';
import { profileAtPrompt } from '../api/profile-prompt';

/** The names a REPL or a driver script finds in scope. */
export function apiGlobals(pool: WorkerPool): Record<string, unknown> {
  return { ...api, pool };
}

export interface ReplOptions {
  /** Draw a progress bar while an evaluation runs (on stderr). */
  progress?: boolean;
  /** Where lines that arrive at an idle prompt go: above it. */
  lines?: PromptLines;
}

export function startRepl(pool: WorkerPool, opts: ReplOptions = {}): Promise<void> {
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
    // Node's preview evaluates in the context the REPL made itself (by an inspector id it keeps
    // to itself), not in the image: off rather than wrong.
    preview: false,
    // Bounded: a result that shares subtrees is tiny on the wire and can be huge as a tree.
    writer: (value: unknown) =>
      value instanceof RemoteError
        ? (value.stack ?? value.message)
        : boundedInspect(value, REPL_LIMITS, { colors: process.stdout.isTTY }),
  });
  const lines = opts.lines ?? new PromptLines();
  lines.attach(server);
  const image = masterImage();
  image.serve({
    names: api,
    pool: () => pool,
    output: (stream, text) => lines.write(stream, text),
  });
  evaluateInImage(server, image);
  evaluateAtPrompt(server, pool, opts.progress ?? false);
  server.defineCommand('workers', {
    help: 'List the workers in the pool',
    action() {
      for (const w of pool.workers)
        process.stdout.write(
          `${w.id}  ${w.name}  ${w.address}  ${w.state}  in flight ${w.inFlight}  done ${w.tasksDone}\n`,
        );
      if (pool.workers.length === 0)
        process.stdout.write(
          pool.evaluatesOnMaster
            ? 'no workers: forms evaluate on the master\n'
            : 'no workers now: calls wait a while for one to join, then fail with CREW_NO_WORKERS\n',
        );
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
  server.defineCommand('profile', {
    help: 'Profile every worker for [ms] milliseconds (default 2000) and write .cpuprofile files',
    action(arg) {
      void profileAtPrompt(pool, arg).then((text) => {
        process.stdout.write(text);
        this.displayPrompt();
      });
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
