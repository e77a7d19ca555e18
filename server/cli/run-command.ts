/**
 * `crew run`: runs a driver script in this process against the pool (built by
 * run-bundle.ts). The pool and the API are globals, `import ... from 'crew'` and
 * `require('crew')` are this very library, and a default-exported function is called with
 * the pool. The script's top-level code runs under Node's SIGINT watchdog, as code the
 * master evaluates for a null pool does, so Ctrl-C stops a loop there too.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { runWatched } from '../api/master-breakable';
import { showProgress } from '../api/progress';
import type { WorkerPool } from '../pool/pool';
import { ExitCodes, UsageError } from './cli-common';
import { apiGlobals } from './repl';
import { bundleParams, bundleScript, RUN_HOST, type RunHost } from './run-bundle';

export interface RunCommandOptions {
  /** What follows `--`: the script's `process.argv.slice(2)`. */
  args: string[];
  /** Run even when none of the workers asked for connects: calls then evaluate on the master. */
  allowNoWorkers?: boolean;
  /** Draw a progress bar on stderr. */
  progress: boolean;
}

/** `crew run SCRIPT [-- ARGS]`, once its options are read: returns the exit code. */
export async function runCommand(
  script: string,
  opts: RunCommandOptions,
  startPool: () => Promise<WorkerPool>,
): Promise<number> {
  // Before any worker starts: a script that is not there is a mistyped command line.
  if (!statSync(script, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`there is no script ${script}`);
  const pool = await startPool();
  for (const err of pool.connectErrors) process.stderr.write(`crew: not connected: ${err.message}\n`);
  if (pool.size === 0 && pool.connectErrors.length > 0) {
    if (!opts.allowNoWorkers) {
      await pool.close('no worker connected');
      throw crewError(
        ErrorCodes.NoWorkers,
        'none of the workers asked for connected, so the script did not run ' +
          '(give --allow-no-workers to run it anyway, evaluating on the master)',
      );
    }
    // Asked for: the pool becomes one made to have no workers, whose calls evaluate on the master.
    pool.expectsWorkers = false;
  }
  const hideProgress = opts.progress ? showProgress(pool) : undefined;
  const ctrlC = stopOnCtrlC(pool, hideProgress);
  try {
    await runScript(script, pool, opts.args);
    return ExitCodes.Ok;
  } catch (err) {
    if (ctrlC.interrupted) return ExitCodes.Interrupted;
    throw err;
  } finally {
    hideProgress?.();
    await pool.close('script finished');
  }
}

/**
 * Ctrl-C during `crew run` interrupts what the workers run, ends the pool (and so its local
 * workers) and exits 130, whether or not the script catches the interruption. Its listener
 * goes with the first Ctrl-C, so a second one meets Node's default and ends the process at
 * once, even while code on the master holds the thread.
 */
function stopOnCtrlC(pool: WorkerPool, hideProgress?: () => void): { interrupted: boolean } {
  const state = { interrupted: false };
  process.once('SIGINT', () => {
    state.interrupted = true;
    hideProgress?.();
    const ids = pool.interrupt();
    process.stderr.write(`crew: interrupted${ids.length ? ` ${ids.join(', ')}` : ''}; stopping the workers\n`);
    void pool.close('interrupted').finally(() => process.exit(ExitCodes.Interrupted));
  });
  return state;
}

/** Builds and runs `file` against `pool` with `args`; resolves with what its default export returns. */
export async function runScript(file: string, pool: WorkerPool, args: string[] = []): Promise<unknown> {
  const filename = resolve(file);
  const dir = mkdtempSync(join(tmpdir(), 'crew-run-'));
  const outfile = join(dir, `${basename(filename).replace(/\.[^.]*$/, '')}.cjs`);
  const host: RunHost = { externals: new Map(), params: [] };
  const hostKey = Symbol.for(RUN_HOST);
  const globals = globalThis as unknown as Record<symbol, RunHost | undefined>;
  try {
    globals[hostKey] = host;
    await bundleScript(file, outfile, host);
    host.params = bundleParams(filename, scriptRequire(filename));
    process.setSourceMapsEnabled(true);
    Object.assign(globalThis, apiGlobals(pool));
    process.argv = [process.argv[0], filename, ...args];
    const load = createRequire(outfile);
    const body = runWatched(() => load(outfile) as Promise<void>);
    await body;
    const main = host.exports?.default;
    return typeof main === 'function' ? await (main as (p: WorkerPool) => unknown)(pool) : undefined;
  } finally {
    delete globals[hostKey];
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The script's `require`: from its own folder, and `crew` is this library. */
function scriptRequire(filename: string): NodeJS.Require {
  const fromScript = createRequire(filename);
  const crew = join(__dirname, 'index.js');
  const req = ((id: string) => fromScript(id === 'crew' ? crew : id)) as NodeJS.Require;
  return Object.assign(req, { resolve: fromScript.resolve, cache: fromScript.cache, main: fromScript.main });
}
