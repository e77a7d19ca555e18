/**
 * The master's terminal REPL: Node's own REPL (so top-level await, completion and history
 * work), evaluating in the master's image, with the pool and the whole API in scope.
 */
import { mkdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import repl from 'node:repl';
import type { Context } from 'node:vm';
import { RemoteError } from '../../protocol/errors';
import { defaultSecretFile } from '../../protocol/secret';
import { boundedInspect, REPL_LIMITS } from '../../protocol/value-view';
import * as api from '../api/api-globals';
import { interactively } from '../api/interactive';
import { masterImage, type MasterImage } from '../api/master-image';
import { showProgress } from '../api/progress';
import type { WorkerPool } from '../pool/pool';

/** What Node's REPL throws when Ctrl-C stops an evaluation. */
const INTERRUPTED = 'ERR_SCRIPT_EXECUTION_INTERRUPTED';

/**
 * Each evaluation at the prompt: interactive (see interactive.ts), with the progress bar
 * drawn while it runs and taken off before the REPL writes its value and prompt. A bar drawn
 * at an idle prompt would be drawn over the prompt, and its clearing would erase it.
 *
 * SLIME's C-c C-c: Ctrl-C while an evaluation runs interrupts it on every worker running it,
 * ends the wait, says where it was interrupted (`interrupted on w1, w2`) and gives the prompt
 * back, instead of Node's error. At an idle prompt Ctrl-C keeps Node's meaning.
 */
function evaluateAtPrompt(server: repl.REPLServer, pool: WorkerPool, progress: boolean): void {
  let running: { reported: boolean; hideBar?: () => void } | undefined;
  const evaluate = server.eval.bind(server);
  (server as { eval: repl.REPLEval }).eval = (code, context, file, cb) => {
    const run: { reported: boolean; hideBar?: () => void } = { reported: false };
    running = run;
    if (progress) run.hideBar = showProgress(pool);
    interactively(() =>
      evaluate(code, context, file, (err, result) => {
        run.hideBar?.();
        if (running === run) running = undefined;
        if ((err as { code?: string } | null)?.code !== INTERRUPTED) return cb(err, result);
        // Code running on the master itself was stopped: Node emits no SIGINT for that.
        if (!run.reported) process.stdout.write('interrupted on master\n');
        // One argument: the REPL prints no value, only its prompt.
        (cb as (err: null) => void)(null);
      }),
    );
  };
  server.on('SIGINT', () => {
    if (!running) return;
    running.hideBar?.();
    running.hideBar = undefined;
    running.reported = true;
    reportInterrupt(pool.interrupt());
  });
}

function reportInterrupt(ids: string[]): void {
  process.stdout.write(ids.length ? `interrupted on ${ids.join(', ')}\n` : 'nothing was running on the workers\n');
}

/**
 * Makes the image's context the REPL's: Node's REPL evaluates in `server.context`, and makes
 * it in `createContext` (from `resetContext`, at its start and at `.clear`). Pointed at the
 * image, the REPL keeps its top-level await, completion, history and `_`, and what is typed
 * here is what a null pool and the editor's "evaluate on master" see.
 */
function evaluateInImage(server: repl.REPLServer, image: MasterImage): void {
  const own = server as unknown as { createContext(): Context; resetContext(): void };
  own.createContext = () => image.context;
  own.resetContext();
  // Node's REPL has its built-in modules as names (`fs.readFileSync` without a require).
  for (const name of builtinModules) {
    if (name.startsWith('_') || name.includes('/') || name in image.context) continue;
    const settle = (value: unknown) =>
      Object.defineProperty(image.context, name, { value, writable: true, enumerable: false, configurable: true });
    Object.defineProperty(image.context, name, {
      get: () => (image.context.require as NodeRequire)(name) as unknown,
      set: settle,
      configurable: true,
    });
  }
  // Node's `.clear` would clear the context: the image is shared, and stays.
  server.defineCommand('clear', {
    help: "Break the input being typed (the master's image keeps its definitions)",
    action() {
      this.clearBufferedCommand();
      this.displayPrompt();
    },
  });
}

/** The names a REPL or a driver script finds in scope. */
export function apiGlobals(pool: WorkerPool): Record<string, unknown> {
  return { ...api, pool };
}

export interface ReplOptions {
  /** Draw a progress bar while an evaluation runs (on stderr). */
  progress?: boolean;
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
  const image = masterImage();
  image.serve({
    names: api,
    pool: () => pool,
    output: (stream, text) => void process[stream].write(text),
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
