/**
 * A persistent evaluation context: the "image". Definitions made by one form are there for
 * the next, as in a Lisp image. Used by a worker's eval thread and by the master's own REPL.
 */
import { inspect, types } from 'node:util';
import vm from 'node:vm';
import { decodeValue, describeType, encodeValue } from '../../protocol/codec/codec';
import { CrewError, ErrorCodes, type RemoteErrorData } from '../../protocol/errors';
import type { FormDef, ResultMsg, TaskMsg } from '../../protocol/messages/worker-link-messages';
import { printForMaster } from '../../protocol/printed-value';
import { takeRestart } from '../debug/restart-slot';
import { ModuleLoader, type ModuleSource } from '../modules/module-loader';
import { dropLoaderWarning, HOST_GLOBALS, lendGlobal } from './host-globals';
import { scriptCodeFor, scriptNameFor, SourceMaps } from './source-maps';

/** What {@link Evaluator.run} returns when the developer chose to retry the task. */
export const RETRY: unique symbol = Symbol('crew.retry');

/** How many one-off forms stay compiled after their last task. */
const KEEP_RELEASED = 16;

function sameForm(a: FormDef, b: FormDef): boolean {
  return (
    a.code === b.code &&
    a.mode === b.mode &&
    a.filename === b.filename &&
    a.line === b.line &&
    a.column === b.column &&
    a.sourceMap === b.sourceMap
  );
}

interface Compiled {
  def: FormDef;
  script?: vm.Script;
  /** Why the code did not compile; thrown by each task that uses it. */
  compileError?: unknown;
  /** Tasks still to run a one-off (uncached) form; it is dropped when this reaches 0. */
  uses: number;
  /** For `call` forms: the function the code evaluated to. */
  fn?: (...args: unknown[]) => unknown;
}

export interface EvaluatorOptions {
  /** Extra globals, e.g. the pool and the API on the master. */
  globals?: Record<string, unknown>;
  /** Directory where packages a form's master left to this host are looked up. */
  cwd?: string;
  /** Where the code of the project's modules comes from (the master, through a cache). */
  modules?: ModuleSource;
}

export class Evaluator {
  readonly context: vm.Context;
  readonly sourceMaps = new SourceMaps();
  private readonly modules: ModuleLoader;
  private readonly forms = new Map<number, Compiled>();
  /** One-off forms whose tasks have ended, oldest first, kept in case the same form comes again. */
  private readonly released = new Map<number, Compiled>();

  constructor(opts: EvaluatorOptions = {}) {
    dropLoaderWarning();
    const sandbox: Record<string, unknown> = {};
    for (const name of HOST_GLOBALS) if (name in globalThis) lendGlobal(sandbox, name);
    Object.assign(sandbox, opts.globals);
    this.context = vm.createContext(sandbox, { name: 'crew' });
    this.modules = new ModuleLoader(
      this.context,
      opts.modules ?? noModules,
      (scriptName, code) => this.sourceMaps.addModule(scriptName, code),
      opts.cwd ?? process.cwd(),
    );
    // A form's `import` becomes a call of `__crewImport` (server/api/form-rewrite.ts).
    Object.assign(sandbox, { require: this.modules.require, __crewImport: this.modules.import });
    // dpfw's per-worker table; made inside the context so that `store instanceof Map` holds.
    vm.runInContext(
      'Error.stackTraceLimit = 50; globalThis.global = globalThis; globalThis.store = new Map();',
      this.context,
    );
  }

  /** Compiles a form; a syntax error surfaces when a task uses it. */
  define(def: FormDef): void {
    const existing = this.forms.get(def.id);
    // Same id, same code: another task of a one-off form. Different code means the id is
    // from another master session, so the new form replaces the stale one.
    if (existing && !def.cache && existing.def.code === def.code) {
      existing.uses++;
      return;
    }
    // The same one-off form again soon after (a call repeated at the REPL): the master gives
    // the same text the same id, so its compiled script is taken back, not rebuilt. Not for a
    // form of a file on disk: a debugger binds that file's breakpoints as its script loads.
    const recent = this.released.get(def.id);
    if (recent) this.released.delete(def.id);
    if (recent && !def.cache && sameForm(recent.def, def) && scriptCodeFor(def) === def.code) {
      recent.uses = 1;
      this.forms.set(def.id, recent);
      this.placed(def);
      return;
    }
    this.placed(def);
    try {
      const script = new vm.Script(scriptCodeFor(def), {
        filename: scriptNameFor(def),
        // Forms with a source map (all the master sends) are placed through it instead.
        lineOffset: def.sourceMap ? 0 : def.line - 1,
        columnOffset: def.sourceMap ? 0 : def.column - 1,
        importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER as never,
      });
      this.forms.set(def.id, { def, script, uses: 1 });
    } catch (compileError) {
      this.forms.set(def.id, { def, compileError, uses: 1 });
    }
  }

  /** Where a form's frames map to, and what its imports load. */
  private placed(def: FormDef): void {
    this.sourceMaps.add(def);
    if (def.modules) this.modules.learn(scriptNameFor(def), def.modules);
  }

  has(formId: number): boolean {
    return this.forms.has(formId);
  }

  /** Runs a form with decoded arguments and returns the raw value (awaited if a promise). */
  invoke(formId: number, args: unknown[] | undefined, timeoutMs?: number): unknown {
    const c = this.forms.get(formId);
    if (!c) throw new CrewError(ErrorCodes.BadArgument, `form ${formId} was never defined on this worker`);
    const runOpts = timeoutMs ? { timeout: timeoutMs, breakOnSigint: false } : undefined;
    let value: unknown;
    try {
      if (!c.script) throw c.compileError;
      if (c.def.mode === 'value') {
        value = c.script.runInContext(this.context, runOpts);
      } else {
        if (!c.fn) {
          let fn = c.script.runInContext(this.context, runOpts) as unknown;
          if (c.def.initArgs && typeof fn === 'function')
            fn = (fn as (...a: unknown[]) => unknown)(...(decodeValue(c.def.initArgs) as unknown[]));
          if (typeof fn !== 'function')
            throw new CrewError(
              ErrorCodes.BadForm,
              `the form must evaluate to a function, but gave ${describeType(fn)}`,
            );
          c.fn = fn as (...args: unknown[]) => unknown;
        }
        value = c.fn(...(args ?? []));
      }
    } catch (err) {
      if (timeoutMs && isVmTimeout(err))
        throw new CrewError(ErrorCodes.Timeout, `the task ran past its timeout of ${timeoutMs} ms`);
      throw err;
    }
    if (timeoutMs && isThenable(value)) return withTimeout(value, timeoutMs);
    return value;
  }

  /**
   * Called when a task is done with a form: a one-off form goes once its last task ends,
   * into the few kept for a repeat of the same form.
   */
  release(formId: number): void {
    const c = this.forms.get(formId);
    if (c && !c.def.cache && --c.uses <= 0) {
      this.forms.delete(formId);
      this.sourceMaps.delete(formId);
      if (this.released.size >= KEEP_RELEASED) this.released.delete(this.released.keys().next().value!);
      // A call form's function is made again from its script, as a fresh compile would.
      c.fn = undefined;
      this.released.set(formId, c);
    }
  }

  /**
   * Runs one task and encodes its outcome; synchronous when the form is. Returns
   * {@link RETRY} when the developer chose "retry" in the debugger: the caller runs the task
   * again after whatever arrived meanwhile (such as a fixed definition).
   */
  run(task: TaskMsg): ResultMsg | Promise<ResultMsg | typeof RETRY> | typeof RETRY {
    const start = performance.now();
    let value: unknown;
    try {
      const args = task.args ? (decodeValue(task.args) as unknown[]) : undefined;
      value = this.invoke(task.form, args, task.timeoutMs);
    } catch (err) {
      return this.failed(task, err, start);
    }
    if (isThenable(value)) {
      return Promise.resolve(value).then(
        (v) => {
          this.release(task.form);
          return this.encodeResult(task, v, start);
        },
        (err: unknown) => this.failed(task, err, start),
      );
    }
    this.release(task.form);
    return this.encodeResult(task, value, start);
  }

  /** An error reached Crew's runtime: apply the debugger's restart, if one was chosen. */
  private failed(task: TaskMsg, err: unknown, start: number): ResultMsg | typeof RETRY {
    const restart = takeRestart();
    if (restart?.kind === 'retry') return RETRY;
    if (restart?.kind === 'return') {
      this.release(task.form);
      return this.encodeResult(task, restart.value, start);
    }
    // Described before the form is released: its source map places the frames.
    const error: RemoteErrorData =
      restart?.kind === 'retryElsewhere'
        ? {
            name: 'CrewError',
            code: ErrorCodes.RetryElsewhere,
            message: 'the developer chose to retry this task on another worker',
            frames: [],
          }
        : this.describeError(err);
    this.release(task.form);
    return { id: task.id, ok: false, error, ms: performance.now() - start };
  }

  /** A value that cannot be sent fails the task, unless a person waits for it (`printable`): then its print goes. */
  private encodeResult(task: TaskMsg, value: unknown, start: number): ResultMsg {
    const id = task.id;
    try {
      return { id, ok: true, value: encodeValue(value, 'result'), ms: performance.now() - start };
    } catch (err) {
      if (task.printable && err instanceof CrewError && err.code === ErrorCodes.NotSerializable)
        return {
          id,
          ok: true,
          value: encodeValue(printForMaster(value)),
          printed: true,
          ms: performance.now() - start,
        };
      return { id, ok: false, error: this.describeError(err), ms: performance.now() - start };
    }
  }

  /** What the master needs to rebuild the error as a RemoteError. */
  describeError(err: unknown): RemoteErrorData {
    if (err instanceof CrewError) return { name: err.name, message: err.message, frames: [], code: err.code };
    if (types.isNativeError(err) || (typeof err === 'object' && err !== null && 'stack' in err && 'message' in err)) {
      const e = err as Error;
      return { name: String(e.name ?? 'Error'), message: String(e.message), frames: this.sourceMaps.framesOf(e.stack) };
    }
    return { name: 'Error', message: `non-Error thrown: ${inspect(err)}`, frames: [], thrown: inspect(err) };
  }
}

/** Without a source, only built-ins and this host's packages load: nothing is shipped. */
const noModules: ModuleSource = {
  codes: () => {
    throw new CrewError(ErrorCodes.ModuleFetchFailed, 'this image gets no module code from a master');
  },
};

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

function isVmTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

function withTimeout(p: PromiseLike<unknown>, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new CrewError(ErrorCodes.Timeout, `the task ran past its timeout of ${ms} ms`)),
      ms,
    );
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e as Error);
      },
    );
  });
}
