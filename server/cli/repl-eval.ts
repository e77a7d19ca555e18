/**
 * How the terminal REPL evaluates: Node's own REPL, evaluating in the master's image, each
 * evaluation interactive (server/api/interactive.ts) with a progress bar while it runs, and
 * Ctrl-C as SLIME's C-c C-c.
 */
import type { EventEmitter } from 'node:events';
import { builtinModules } from 'node:module';
import repl from 'node:repl';
import type { Context } from 'node:vm';
import { stop as stopEsbuild } from 'esbuild';
import { ErrorCodes } from '../../protocol/errors';
import { interactively } from '../api/interactive';
import type { MasterImage } from '../api/master-image';
import { showProgress } from '../api/progress';
import type { WorkerPool } from '../pool/pool';
import { promptInputToJs } from './repl-typescript';

/** What Node's REPL throws when Ctrl-C stops an evaluation. */
const INTERRUPTED = 'ERR_SCRIPT_EXECUTION_INTERRUPTED';

/**
 * Makes the image's context the REPL's. Node's REPL evaluates in `server.context`, which it
 * makes in `createContext` (called by `resetContext`, at its start). Pointed at the image, the
 * REPL keeps its top-level await, completion, history and `_`, and what is typed here is what
 * a null pool sees.
 */
export function evaluateInImage(server: repl.REPLServer, image: MasterImage): void {
  const own = server as unknown as { createContext(): Context; resetContext(): void };
  own.createContext = () => image.context;
  own.resetContext();
  // Node's REPL has the built-in modules as names (`fs.readFileSync` with no require).
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
  // Node's `.clear` would make a fresh context: the image is the master's, and stays.
  server.defineCommand('clear', {
    help: "Break the input being typed (the master's image keeps its definitions)",
    action() {
      this.clearBufferedCommand();
      this.displayPrompt();
    },
  });
}

interface Run {
  /** Ctrl-C interrupted it, and said where. */
  reported: boolean;
  hideBar?: () => void;
}

/**
 * Each evaluation at the prompt is interactive and draws the progress bar while it runs. The
 * bar comes off before the REPL writes the value, the error or the prompt: drawn at an idle
 * prompt, it would be drawn over the prompt, and clearing it would erase the prompt.
 *
 * SLIME's C-c C-c: Ctrl-C while an evaluation runs interrupts it on every worker running it,
 * ends the wait, says where (`interrupted on w1, w2`) in place of Node's error, and gives the
 * prompt back. At an idle prompt Ctrl-C keeps Node's meaning.
 */
export function evaluateAtPrompt(server: repl.REPLServer, pool: WorkerPool, progress: boolean): void {
  let running: Run | undefined;
  const end = (): Run | undefined => {
    const run = running;
    running = undefined;
    run?.hideBar?.();
    return run;
  };
  const evaluate = server.eval.bind(server);
  // Named functions: Node's REPL cuts an error's stack at the last frame without a name, and
  // an anonymous one here would show Node's own frames above it.
  (server as { eval: repl.REPLEval }).eval = function evalAtPrompt(input, context, file, cb) {
    const js = promptInputToJs(input);
    if ('incomplete' in js) return cb(new repl.Recoverable(js.incomplete), undefined);
    const code = js.code;
    running = { reported: false, hideBar: progress ? showProgress(pool) : undefined };
    interactively(function evaluateInteractively() {
      evaluate(code, context, file, (err, result) => {
        end();
        cb(err, result);
      });
    });
  };
  server.on('SIGINT', () => {
    if (!running) return;
    running.hideBar?.();
    running.hideBar = undefined;
    running.reported = true;
    reportInterrupt(pool.interrupt());
  });
  onEvalError(server, (err) => {
    const run = end();
    if (!isMasterInterrupt(err)) return false;
    // Code running on the master itself was stopped: Node emits no SIGINT for that.
    if (!run?.reported) process.stdout.write('interrupted on master\n');
    // To stop it, the terminal sent a real SIGINT (raw mode off) to its whole process group,
    // esbuild's service process included: the next compile starts a fresh one.
    void stopEsbuild();
    server.clearBufferedCommand();
    server.displayPrompt();
    return true;
  });
}

/**
 * Ctrl-C stopped code on the master: the REPL's own evaluation (Node's error), or a form the
 * master ran for a null or empty pool (Crew's, from the watchdog of master-breakable.ts).
 */
function isMasterInterrupt(err: unknown): boolean {
  const { code, workerId } = (err ?? {}) as { code?: unknown; workerId?: unknown };
  return code === INTERRUPTED || (code === ErrorCodes.Interrupted && workerId === 'master');
}

export function reportInterrupt(ids: string[]): void {
  process.stdout.write(ids.length ? `interrupted on ${ids.join(', ')}\n` : 'nothing was running on the workers\n');
}

/**
 * Node's REPL shows an evaluation's error itself, through the domain it evaluates in (Node 20
 * to 24), never to the eval callback, and it has no public hook for that. `handle` sees each
 * error first, and returns true for one it has shown itself. Without that domain (a later
 * Node), nothing is hooked and Node shows every error; test/integration/repl-interrupt reads
 * the screen and says so.
 */
function onEvalError(server: repl.REPLServer, handle: (err: unknown) => boolean): void {
  const domain = (server as unknown as { _domain?: EventEmitter })._domain;
  if (!domain) return;
  for (const show of domain.listeners('error') as ((err: unknown) => void)[]) {
    domain.removeListener('error', show);
    domain.on('error', (err: unknown) => {
      if (!handle(err)) show.call(domain, err);
    });
  }
}
