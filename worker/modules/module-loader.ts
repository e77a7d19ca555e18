/**
 * The project's modules inside an image. A form's `import` and `require` resolve through the
 * graph its master resolved and sent with it (server/modules/): a shipped module runs from
 * the code named by its hash, as CommonJS in the image's context; a built-in, or a package
 * left to this host, loads with this host's Node (host-modules.ts).
 *
 * Instances are kept by path and hash. Evaluating a form sent after an edit runs the edited
 * module again; a definition made before keeps the instance it loaded.
 */
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { crewError, ErrorCodes } from '../../protocol/errors';
import {
  IMPORT_META_URL,
  type FormModules,
  type ImportLink,
  type ModuleCode,
  type ModuleRef,
} from '../../protocol/messages/module-messages';
import { callerScript } from './caller-script';
import { HostModules } from './host-modules';

/** Where the loader gets the code of a hash it has not run yet: a cache, else the master. */
export interface ModuleSource {
  /** The code of each hash, in any order; throws CREW_MODULE_FETCH_FAILED for any it cannot get. */
  codes(hashes: readonly string[]): ModuleCode[];
}

interface Instance {
  module: { exports: unknown };
}

/** How many forms' import tables are kept, the oldest dropped first. */
const KEEP_FORMS = 4096;
const WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', IMPORT_META_URL];

export class ModuleLoader {
  /** Each module's latest version, as the latest form that reaches it was sent. */
  private readonly modules = new Map<string, ModuleRef>();
  /** Each form's own imports, by the script name its code runs under. */
  private readonly forms = new Map<string, ImportLink[]>();
  private readonly instances = new Map<string, Instance>();
  private readonly code = new Map<string, ModuleCode>();
  private readonly host: HostModules;

  constructor(
    private readonly context: vm.Context,
    private readonly source: ModuleSource,
    /** Told of each module compiled, so stack frames in it map to the user's file. */
    private readonly compiled: (scriptName: string, code: ModuleCode) => void,
    cwd: string,
  ) {
    this.host = new HostModules(cwd);
  }

  /**
   * A form is defined: its imports, and the modules they reach, are what it will load. They
   * are kept after the form's task: a function the form defined may `require` later.
   */
  learn(scriptName: string, modules: FormModules): void {
    this.forms.delete(scriptName);
    if (this.forms.size >= KEEP_FORMS) this.forms.delete(this.forms.keys().next().value!);
    this.forms.set(scriptName, modules.imports);
    for (const m of modules.graph) this.modules.set(m.path, m);
  }

  /** The `require` of forms: resolves from the form that calls it. */
  readonly require = (spec: string): unknown => {
    const from = callerScript(this.require);
    return this.load(this.linkOf(spec, from ? this.forms.get(from) : undefined), from);
  };

  /**
   * What a form's `import` becomes: the module's namespace, as Node gives a CommonJS module's.
   * The ES-module-only packages of this host that it reaches are imported first: shipped
   * modules `require` them, which cannot load one.
   */
  readonly import = (spec: string): Promise<unknown> => {
    const from = callerScript(this.import);
    const link = this.linkOf(spec, from ? this.forms.get(from) : undefined);
    return this.host.importAhead(this.hostPackagesReached(link)).then(() => namespaceOf(this.load(link, from)));
  };

  private linkOf(spec: string, links: ImportLink[] | undefined): ImportLink {
    const link = links?.find((l) => l.spec === spec);
    if (link) return link;
    // Not in the graph: a built-in, or something only this host has (a specifier made at run time).
    return { spec, kind: spec.startsWith('.') || spec.startsWith('/') ? 'ship' : 'host', to: spec };
  }

  private load(link: ImportLink, from: string | undefined): unknown {
    if (link.kind === 'builtin') return this.host.builtin(link.to);
    if (link.kind === 'host') return this.host.load(link);
    const ref = this.modules.get(link.to);
    if (!ref)
      throw crewError(
        ErrorCodes.ModuleNotFound,
        `cannot load ${JSON.stringify(link.spec)} from ${from ?? 'this form'}: the master resolved no module for it ` +
          '(a specifier made at run time is not shipped; write it as a string literal)',
      );
    return this.instance(ref).module.exports;
  }

  private instance(ref: ModuleRef): Instance {
    const key = `${ref.path}\0${ref.hash}`;
    const known = this.instances.get(key);
    if (known) return known;
    this.fetchMissing(ref);
    const code = this.code.get(ref.hash)!;
    const module = { exports: {} as unknown };
    const instance: Instance = { module };
    // Before it runs, as Node's CommonJS does: a cycle gets the exports made so far.
    this.instances.set(key, instance);
    const scriptName = `${ref.path}#crewm${ref.hash.slice(0, 12)}`;
    const { source, map } = wrapped(code);
    this.compiled(scriptName, { ...code, map });
    try {
      // A script, not vm.compileFunction: a debugger's pause before each script with a source
      // map (js-debug binds the file's breakpoints there) comes only for scripts that run.
      const fn = new vm.Script(source, { filename: scriptName }).runInContext(this.context) as (
        ...args: unknown[]
      ) => void;
      const require = (spec: string) => this.load(this.linkFrom(ref, spec), ref.path);
      fn(module.exports, require, module, ref.path, dirname(ref.path), pathToFileURL(ref.path).href);
    } catch (err) {
      this.instances.delete(key);
      throw err;
    }
    return instance;
  }

  private linkFrom(ref: ModuleRef, spec: string): ImportLink {
    return this.linkOf(spec, ref.deps);
  }

  /** The specifiers of the packages left to this host that `link` reaches, through the shipped modules. */
  private hostPackagesReached(link: ImportLink): Set<string> {
    const specs = new Set<string>();
    const seen = new Set<string>();
    const visit = (l: ImportLink) => {
      if (l.kind === 'host') specs.add(l.to);
      if (l.kind !== 'ship' || seen.has(l.to)) return;
      seen.add(l.to);
      for (const d of this.modules.get(l.to)?.deps ?? []) visit(d);
    };
    visit(link);
    return specs;
  }

  /** Gets, in one request, the code of every module the graph of `ref` reaches that is not here yet. */
  private fetchMissing(ref: ModuleRef): void {
    if (this.code.has(ref.hash)) return;
    const wanted = new Set<string>();
    const visit = (r: ModuleRef | undefined) => {
      if (!r || wanted.has(r.hash) || this.code.has(r.hash)) return;
      wanted.add(r.hash);
      for (const d of r.deps) if (d.kind === 'ship') visit(this.modules.get(d.to));
    };
    visit(ref);
    for (const c of this.source.codes([...wanted])) this.code.set(c.hash, c);
    if (!this.code.has(ref.hash))
      throw crewError(ErrorCodes.ModuleFetchFailed, `the code of ${ref.path} did not arrive from the master`);
  }
}

/**
 * The module's code as a function expression, its parameters on a line of their own, and its
 * source map moved down that line (a `;` before its mappings), so lines and columns still map.
 */
function wrapped(code: ModuleCode): { source: string; map?: string } {
  let map: string | undefined;
  if (code.map) {
    const parsed = JSON.parse(code.map) as { mappings: string };
    map = JSON.stringify({ ...parsed, mappings: `;${parsed.mappings}` });
  }
  const inline = map
    ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}`
    : '';
  return { source: `(function (${WRAPPER_PARAMS.join(', ')}) {\n${code.code}\n})${inline}`, map };
}

/** A CommonJS module's exports as `import()` gives them: `default` is the exports, and named ones are copied. */
function namespaceOf(exports: unknown): unknown {
  if (exports !== null && typeof exports === 'object' && (exports as { __esModule?: boolean }).__esModule)
    return exports;
  const ns: Record<string, unknown> = { default: exports };
  if (exports !== null && (typeof exports === 'object' || typeof exports === 'function'))
    for (const k of Object.keys(exports)) if (k !== 'default') ns[k] = (exports as Record<string, unknown>)[k];
  return ns;
}
