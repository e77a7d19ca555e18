/**
 * The master's image: its one persistent context, as in a Lisp image. The terminal REPL of
 * `crew master` evaluates in it; so do the editor's "evaluate on master" and a notebook's
 * plain cells under `crew lsp`; and so does every API call on a null or empty pool, since
 * Swank Crew's NIL pool evaluates in the master's own image. So `const k = 40` typed at the
 * REPL is there for `evalFormAllWorkers(null, 'k + 1')`.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import type { Context } from 'node:vm';
import { describeType } from '../../protocol/codec/codec';
import { CrewError, crewError, ErrorCodes, RemoteError } from '../../protocol/errors';
import type { FormSource } from '../../protocol/form-source';
import type { FormMode } from '../../protocol/messages/worker-link-messages';
import { Evaluator } from '../../worker/image/evaluator';
import { FormRegistry, isCallForm, type Form } from './form';
import { interactively } from './interactive';
import { runBreakable } from './master-breakable';
import { acceptHostInstances } from './realm-bridge';
import type { WorkerPool } from '../pool/pool';

export type OutputSink = (stream: 'stdout' | 'stderr', text: string) => void;

/** The master that runs in this process, as the image serves it. */
export interface ImageOwner {
  /** Names in scope beside `pool`: the API. */
  names: Record<string, unknown>;
  /** The pool `pool` names now, if any (`pool` is null otherwise). */
  pool: () => WorkerPool | undefined;
  /** Where the image's console writes: the terminal of `crew master`, the editors of `crew lsp`. */
  output: OutputSink;
}

const toProcess: OutputSink = (stream, text) => void process[stream].write(text);

function sinkStream(write: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      write(chunk.toString());
      callback();
    },
  });
}

export class MasterImage {
  private readonly evaluator: Evaluator;
  private readonly forms = new FormRegistry();
  private output: OutputSink = toProcess;
  private currentPool: () => WorkerPool | undefined = () => undefined;

  constructor() {
    const console = new Console({
      stdout: sinkStream((text) => this.output('stdout', text)),
      stderr: sinkStream((text) => this.output('stderr', text)),
    });
    // The master's own forms load the project's modules from the code it ships to workers.
    const modules = { codes: (hashes: readonly string[]) => this.forms.modules.codes.codes(hashes).modules };
    this.evaluator = new Evaluator({ globals: { console }, modules });
    const context = this.evaluator.context;
    acceptHostInstances(context);
    // A getter, so the context sees the pool of the moment (null after a disconnect). Code that
    // assigns `pool` gets a variable of its own, as it would at Node's REPL.
    Object.defineProperty(context, 'pool', {
      get: () => this.currentPool() ?? null,
      set: (value: unknown) =>
        Object.defineProperty(context, 'pool', { value, writable: true, enumerable: true, configurable: true }),
      enumerable: true,
      configurable: true,
    });
  }

  /** The `vm` context itself, for Node's REPL to evaluate in. */
  get context(): Context {
    return this.evaluator.context;
  }

  /**
   * The master this process runs (the terminal REPL, or the language server) takes the image:
   * the API in scope, `pool` its pool, and the console writing where its own output goes.
   */
  serve(owner: ImageOwner): void {
    Object.assign(this.context, owner.names);
    this.currentPool = owner.pool;
    this.output = owner.output;
  }

  /** Adds the names the context does not have yet; those of the API stay as they are. */
  provide(names: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(names)) if (!(name in this.context)) this.context[name] = value;
  }

  /**
   * Evaluates statements a person typed (the editor, a notebook cell): the value is that of
   * the last expression, and code with a top-level `await` is retried inside an async
   * function, as Node's REPL does. Tasks it makes are interactive: see interactive.ts.
   */
  evaluate(src: FormSource): Promise<unknown> {
    return interactively(async () => {
      try {
        return await this.evalForm(src, 'value');
      } catch (err) {
        if (!isAwaitSyntaxError(err, src.code)) throw err;
        let last = err;
        for (const code of asyncVariants(src.code)) {
          try {
            return await this.evalForm({ ...src, code }, 'value');
          } catch (again) {
            last = again;
            if (!isSyntaxError(again)) throw again;
          }
        }
        throw last;
      }
    });
  }

  /** Evaluates a form of the API on the master. Errors are `RemoteError`s from worker `master`, as on a worker. */
  async evalForm(form: Form, mode: FormMode, extraArgs: unknown[] = []): Promise<unknown> {
    const ev = this.evaluator;
    const prepared = await this.forms.prepare(form, mode);
    if (!prepared.def.cache || !ev.has(prepared.def.id)) ev.define(prepared.def);
    try {
      const args = [...(prepared.args ?? []), ...extraArgs];
      return await runBreakable(() => ev.invoke(prepared.def.id, args));
    } catch (err) {
      throw new RemoteError('master', ev.describeError(err));
    } finally {
      ev.release(prepared.def.id);
    }
  }

  /** Evaluates a form that must give a function (`evalFormRepeatedly` and friends). */
  async localFunction(form: Form): Promise<(...args: unknown[]) => unknown> {
    const fn = await this.evalForm(form, isCallForm(form) ? 'call' : 'value');
    if (typeof fn !== 'function')
      throw crewError(ErrorCodes.BadForm, `the form must evaluate to a function, but gave ${describeType(fn)}`);
    return fn as (...args: unknown[]) => unknown;
  }
}

let image: MasterImage | undefined;

/**
 * The master's image, made on first use. It is one per process, not one per pool or per
 * session: a null pool has no object to carry an image, and what the REPL or the editor
 * defines must be what a null pool's evaluations see. The REPL or the language server
 * running in the process takes it with {@link MasterImage.serve}.
 */
export function masterImage(): MasterImage {
  image ??= new MasterImage();
  return image;
}

function isSyntaxError(err: unknown): boolean {
  return (
    (err instanceof RemoteError && err.remoteName === 'SyntaxError') ||
    (err instanceof CrewError && err.code === ErrorCodes.FormSyntax)
  );
}

function isAwaitSyntaxError(err: unknown, code: string): boolean {
  return isSyntaxError(err) && /\bawait\b/.test(code);
}

/** Ways to run code with a top-level `await`, most specific first. */
function asyncVariants(code: string): string[] {
  const body = code.replace(/;\s*$/, '');
  const variants: string[] = [];
  // `const x = await f()` keeps `x` for later evaluations, as in a REPL.
  const decl = /^\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=([\s\S]+)$/.exec(body);
  if (decl) variants.push(`(async () => { return (globalThis.${decl[1]} = (${decl[2]}\n)); })()`);
  variants.push(`(async () => (${body}\n))()`);
  variants.push(`(async () => { ${code}\n})()`);
  return variants;
}
