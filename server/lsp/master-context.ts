/**
 * The master's own persistent context as the editor sees it: the REPL and "evaluate on
 * master" share it, with the current `pool` and the whole API in scope, so
 * `await parallelMap(pool, ...)` works from the editor. What it prints goes to the editor
 * as output of worker `master`, never to the process's stdout, which may carry LSP.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { CrewError, ErrorCodes, RemoteError } from '../../protocol/errors';
import { Evaluator } from '../../worker/image/evaluator';
import { FormRegistry, type FormSource } from '../api/form';
import * as api from '../api/api-globals';
import type { WorkerPool } from '../pool/pool';

export type OutputSink = (stream: 'stdout' | 'stderr', text: string) => void;

function sinkStream(write: OutputSink, stream: 'stdout' | 'stderr'): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      write(stream, chunk.toString());
      callback();
    },
  });
}

export class MasterContext {
  private readonly image: Evaluator;
  private readonly forms = new FormRegistry();

  constructor(getPool: () => WorkerPool | undefined, write: OutputSink) {
    const console = new Console({ stdout: sinkStream(write, 'stdout'), stderr: sinkStream(write, 'stderr') });
    this.image = new Evaluator({ globals: { ...api, console } });
    // A getter, so the context always sees the pool of the moment (or null after a disconnect).
    Object.defineProperty(this.image.context, 'pool', {
      get: () => getPool() ?? null,
      enumerable: true,
      configurable: true,
    });
  }

  /**
   * Evaluates statements; the value is that of the last expression. Code with a top-level
   * `await` is retried inside an async function, as Node's REPL does.
   */
  async evaluate(src: FormSource): Promise<unknown> {
    try {
      return await this.run(src);
    } catch (err) {
      if (!isAwaitSyntaxError(err, src.code)) throw err;
      let last = err;
      for (const code of asyncVariants(src.code)) {
        try {
          return await this.run({ ...src, code });
        } catch (again) {
          last = again;
          if (!isSyntaxError(again)) throw again;
        }
      }
      throw last;
    }
  }

  private async run(src: FormSource): Promise<unknown> {
    const { def } = await this.forms.prepare(src, 'value');
    if (!def.cache || !this.image.has(def.id)) this.image.define(def);
    try {
      return await this.image.invoke(def.id, undefined);
    } catch (err) {
      throw new RemoteError('master', this.image.describeError(err));
    } finally {
      this.image.release(def.id);
    }
  }
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
