/**
 * Forms: what users hand to the API, and how they become {@link FormDef}s for workers.
 * TypeScript is transpiled once per distinct form with esbuild, keeping a source map so
 * that stack traces point at the user's file and line.
 */
import { transform } from 'esbuild';
import vm from 'node:vm';
import { encodeValue } from '../../protocol/codec/codec';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { functionSource } from './function-source';
import { rewriteForm } from './form-rewrite';
import { lineMap, placedMap, placePadding } from './form-source-map';
import { ProjectModules } from '../modules/project-modules';
import type { FormDef, FormMode } from '../../protocol/messages/worker-link-messages';
import type { FormSource } from '../../protocol/form-source';

const CALL_FORM = Symbol.for('crew.callForm');

export type { FormSource } from '../../protocol/form-source';

/** A function and its arguments, built by {@link form}. */
export interface CallForm {
  readonly [CALL_FORM]: true;
  readonly code: string;
  readonly args: readonly unknown[];
  readonly filename: string;
}

/** Anything the API accepts as a form. */
export type Form = string | FormSource | CallForm;

/**
 * Builds a form that calls `fn` on the worker, as dist-emacs sends a printed function:
 * `args` are its first arguments, and the rest come with each call (the element, in
 * `parallelMap`). Only the function's text travels: its closure does not.
 */
export function form<A extends unknown[], B extends unknown[]>(
  fn: (...args: [...A, ...B]) => unknown,
  ...args: A
): CallForm {
  if (typeof fn !== 'function') throw crewError(ErrorCodes.BadForm, `form() needs a function, got ${typeof fn}`);
  const code = fn.toString();
  if (/\{\s*\[native code\]\s*\}$/.test(code))
    throw crewError(
      ErrorCodes.BadForm,
      `form() cannot send the built-in function ${fn.name || '(anonymous)'}: only its name would travel`,
    );
  return { [CALL_FORM]: true, code: functionSource(fn), args, filename: `form:${fn.name || 'anonymous'}` };
}

export function isCallForm(x: unknown): x is CallForm {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[CALL_FORM] === true;
}

/** Turns forms into shippable definitions, each distinct form once. */
export class FormRegistry {
  private nextId = 1;
  private readonly defs = new Map<string, FormDef>();
  /** Uncached forms are kept only recently, so one-off forms do not pile up. */
  private static readonly MAX_ONE_OFF = 2000;
  private oneOff = 0;
  /** Call forms seen before, by identity: a map over one form asks for it once per element. */
  private readonly byCallForm = new WeakMap<CallForm, FormDef>();
  /** The project's modules that forms import, shipped to workers by hash. */
  readonly modules = new ProjectModules();

  /** `def` unless a module it imports changed on disk since: the form is then made again. */
  private fresh(def: FormDef | undefined): FormDef | undefined {
    return def && (!def.modules || this.modules.fresh(def.modules)) ? def : undefined;
  }

  /**
   * The definition of a form prepared before, found without waiting; undefined when `f`
   * is new and needs {@link prepare}.
   */
  lookup(f: Form, mode: FormMode): { def: FormDef; args?: readonly unknown[] } | undefined {
    if (isCallForm(f)) {
      const def = this.fresh(this.byCallForm.get(f) ?? this.defs.get(keyOf('call', f.filename, 1, 1, 'js', f.code)));
      if (def) this.byCallForm.set(f, def);
      return def && { def, args: f.args };
    }
    const src: FormSource | undefined = typeof f === 'string' ? { code: f } : f;
    if (typeof src !== 'object' || src === null || typeof src.code !== 'string') return undefined;
    const def = this.defs.get(
      keyOf(mode, src.filename ?? '<form>', src.line ?? 1, src.column ?? 1, src.lang, src.code),
    );
    return this.fresh(def) && { def: def! };
  }

  /**
   * Prepares `f` for a worker. `mode` says how the worker runs it; `initArgs` are for a
   * `call` form whose function is made once per worker by calling the form's function.
   */
  async prepare(f: Form, mode: FormMode): Promise<{ def: FormDef; args?: readonly unknown[] }> {
    if (isCallForm(f)) {
      const def =
        this.fresh(this.byCallForm.get(f)) ??
        (await this.define({ code: `(${f.code})`, filename: f.filename, lang: 'js' }, 'call', true, f.code));
      this.byCallForm.set(f, def);
      return { def, args: f.args };
    }
    const src: FormSource = typeof f === 'string' ? { code: f } : f;
    if (!src || typeof src.code !== 'string')
      throw crewError(
        ErrorCodes.BadForm,
        `a form is source text, a { code } object or form(fn, ...args); got ${describe(f)}`,
      );
    return { def: await this.define(src, mode, mode === 'call') };
  }

  /** A `call` form whose per-worker function is `fn(...initArgs)`, for repeated calls. */
  async prepareFactory(f: Form): Promise<FormDef> {
    if (!isCallForm(f)) return (await this.prepare(f, 'call')).def;
    const initArgs = encodeValue(f.args, 'form arguments');
    const key = `factory\0${f.code}\0${Buffer.from(initArgs).toString('base64')}`;
    const cached = this.fresh(this.defs.get(key));
    if (cached) return cached;
    const base = await this.define({ code: `(${f.code})`, filename: f.filename, lang: 'js' }, 'call', true, f.code);
    const def: FormDef = { ...base, id: this.nextId++, initArgs };
    this.defs.set(key, def);
    return def;
  }

  private async define(src: FormSource, mode: FormMode, cache: boolean, keyCode = src.code): Promise<FormDef> {
    const filename = src.filename ?? '<form>';
    const line = src.line ?? 1;
    const column = src.column ?? 1;
    const key = keyOf(mode, filename, line, column, src.lang, keyCode);
    const hit = this.fresh(this.defs.get(key));
    if (hit) return hit;
    const compiled = await compile(src, filename, line, column, mode);
    const modules = await this.modules.forForm({
      code: placePadding(line, column) + src.code,
      loader: isTypeScript(src, filename) ? 'ts' : 'js',
      filename: src.filename,
      cwd: process.cwd(),
    });
    const def: FormDef = {
      id: this.nextId++,
      mode,
      code: compiled.code,
      sourceMap: compiled.map,
      filename,
      line,
      column,
      cache,
      ...(modules ? { modules } : {}),
    };
    if (!cache && ++this.oneOff > FormRegistry.MAX_ONE_OFF) {
      for (const [k, d] of this.defs) if (!d.cache) this.defs.delete(k);
      this.oneOff = 0;
    }
    this.defs.set(key, def);
    return def;
  }
}

/** The registry's key for a form: the same text at the same place is the same form. */
function keyOf(
  mode: FormMode,
  filename: string,
  line: number,
  column: number,
  lang: string | undefined,
  code: string,
): string {
  return `${mode}\0${filename}\0${line}\0${column}\0${lang ?? ''}\0${code}`;
}

/** Whether a form is TypeScript: said so, or from a `.ts` file and not said to be JavaScript. */
function isTypeScript(src: FormSource, filename: string): boolean {
  return src.lang === 'ts' || (src.lang !== 'js' && /\.[cm]?tsx?$/.test(filename));
}

async function compile(
  src: FormSource,
  filename: string,
  line: number,
  column: number,
  mode: FormMode,
): Promise<{ code: string; map?: string }> {
  const ts = isTypeScript(src, filename);
  if (!ts) {
    const rewritten = await rewrittenScript(src.code, filename, mode);
    const map = lineMap(src.code, filename, line, column);
    if (rewritten !== undefined) return { code: rewritten, map };
    try {
      new vm.Script(src.code, { filename });
      return { code: src.code, map };
    } catch (err) {
      // V8 names no position; esbuild's parser finds it, or else the form's start will do.
      if (src.lang === 'js')
        throw (
          (await esbuildSyntaxError(src.code, 'js', filename, line, column)) ??
          syntaxError(filename, line, column, (err as Error).message)
        );
      // Not JavaScript: perhaps TypeScript. esbuild will say precisely if it is neither.
    }
  }
  try {
    // Imports are kept even when this form does not use them: later forms will. The padding
    // places the form in its file, so the map's lines and columns are the file's own.
    const out = await transform(placePadding(line, column) + src.code, {
      loader: 'ts',
      sourcemap: 'external',
      sourcesContent: false,
      sourcefile: filename,
      target: 'es2022',
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    });
    return {
      code: (await rewrittenScript(out.code, filename, mode)) ?? out.code,
      map: placedMap(out.map, filename),
    };
  } catch (err) {
    // Parsed again without the padding: the error's position is then counted from the form.
    throw (
      (await esbuildSyntaxError(src.code, 'ts', filename, line, column)) ??
      syntaxError(filename, line, column, (err as Error).message)
    );
  }
}

/**
 * The first error esbuild reports for `code`, placed in the user's file; undefined when it
 * finds none. `failure` is an error esbuild already threw for this code.
 */
async function esbuildSyntaxError(
  code: string,
  loader: 'js' | 'ts',
  filename: string,
  line: number,
  column: number,
  failure?: unknown,
) {
  let err = failure;
  if (err === undefined) {
    try {
      await transform(code, { loader, sourcefile: filename, logLevel: 'silent' });
      return undefined;
    } catch (thrown) {
      err = thrown;
    }
  }
  const first = (err as { errors?: { text: string; location?: { line: number; column: number } | null }[] })
    .errors?.[0];
  if (!first) return undefined;
  const loc = first.location;
  return syntaxError(
    filename,
    line + (loc ? loc.line - 1 : 0),
    loc && loc.line === 1 ? column + loc.column : (loc?.column ?? 0) + 1,
    first.text,
  );
}

/**
 * A value form rewritten to behave as at a REPL (see form-rewrite.ts); undefined when it
 * needs no rewriting, or the rewriting would not compile.
 */
async function rewrittenScript(code: string, filename: string, mode: FormMode): Promise<string | undefined> {
  const rewritten = await rewriteForm(code, mode);
  if (rewritten === undefined) return undefined;
  try {
    new vm.Script(rewritten, { filename });
    return rewritten;
  } catch {
    return undefined;
  }
}

function syntaxError(filename: string, line: number, column: number, text: string) {
  return crewError(ErrorCodes.FormSyntax, `syntax error in the form at ${filename}:${line}:${column}: ${text}`, {
    filename,
    line,
    column,
  });
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
