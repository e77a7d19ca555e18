/**
 * Packages left to this worker's host: the master could not resolve them, or they hold a
 * native addon. They load with this host's Node, from the worker's working directory.
 *
 * Shipped modules run as CommonJS, so they load a package with a synchronous `require`. An
 * ES-module-only package (an `exports` map with only an `import` condition, or an ES module,
 * which Node 20 cannot `require`) is therefore imported ahead, when a form's `import` reaches
 * it, and its namespace is what `require` gives from then on. Only such packages are: a
 * CommonJS package still runs when its importer asks for it, in the order Node would run it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { crewError, ErrorCodes } from '../../protocol/errors';

/** What `require` and `import` of a package left to the host are told about it. */
export interface HostLink {
  /** The specifier, as the importing file wrote it. */
  to: string;
  /** Why the master left it to the host (a native addon), when it knows. */
  why?: string;
}

/** How Node's `require` says that only an ES module loader can load a package. */
const ESM_ONLY = new Set(['ERR_REQUIRE_ESM', 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'ERR_REQUIRE_ASYNC_MODULE']);

export class HostModules {
  private readonly hostRequire: NodeJS.Require;
  /** The namespaces of the ES-module-only packages imported ahead, by specifier. */
  private readonly imported = new Map<string, object>();
  /** Packages found loadable by `require`: each form's import would otherwise resolve them again. */
  private readonly requirable = new Set<string>();
  private readonly importFromCwd: (spec: string) => Promise<Record<string, unknown>>;

  constructor(cwd: string) {
    this.hostRequire = createRequire(`${cwd}/`);
    // A script named as a file in the working directory: Node's own loader resolves its
    // `import()` from there, with the `import` conditions that `require` does not use.
    this.importFromCwd = new vm.Script('(spec) => import(spec)', {
      filename: join(cwd, '[crew host import]'),
      importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER as never,
    }).runInThisContext() as (spec: string) => Promise<Record<string, unknown>>;
  }

  /** A built-in module, by its name. */
  builtin(name: string): unknown {
    return this.hostRequire(name);
  }

  /** A package left to the host, as a CommonJS importer gets it; throws a Crew error naming it if it cannot. */
  load(link: HostLink): unknown {
    const ahead = this.imported.get(link.to);
    if (ahead) return ahead;
    try {
      return this.hostRequire(link.to);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'MODULE_NOT_FOUND')
        throw crewError(
          ErrorCodes.ModuleNotFound,
          `cannot find ${JSON.stringify(link.to)} on this worker's host, and the master does not ship it` +
            `${link.why ? ` (${link.why})` : ': install it on the workers'}`,
        );
      if (code && ESM_ONLY.has(code))
        throw crewError(
          ErrorCodes.ModuleNotShippable,
          `${JSON.stringify(link.to)} on this worker's host is an ES module, which a require() cannot load: ` +
            `import it in a form (\`import ... from ${JSON.stringify(link.to)}\`), which loads it ahead`,
        );
      throw err;
    }
  }

  /**
   * Imports ahead each of `specs` that only an ES module loader can load, so that `load`
   * finds it. A package this host does not have is left for `load` to report.
   */
  async importAhead(specs: Iterable<string>): Promise<void> {
    for (const spec of specs) {
      if (this.imported.has(spec) || this.requirable.has(spec)) continue;
      if (!this.onlyImportable(spec)) continue;
      this.imported.set(spec, asCommonJs(await this.importFromCwd(spec)));
    }
  }

  private onlyImportable(spec: string): boolean {
    let file: string;
    try {
      file = this.hostRequire.resolve(spec);
    } catch (err) {
      return ESM_ONLY.has((err as { code?: string }).code ?? '');
    }
    const esm = file.endsWith('.mjs') || (file.endsWith('.js') && packageTypeOf(file) === 'module');
    if (!esm) this.requirable.add(spec);
    return esm;
  }
}

/** The `type` of the package.json nearest above `file`, as Node reads it to tell a `.js` file's format. */
function packageTypeOf(file: string): unknown {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown }).type;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') return undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * An ES module namespace as a CommonJS importer reads it: its exports, live, and `__esModule`,
 * so that transpiled code takes `default` from it rather than the whole namespace.
 */
function asCommonJs(ns: Record<string, unknown>): object {
  const exports: Record<string, unknown> = {};
  for (const key of Object.keys(ns)) Object.defineProperty(exports, key, { enumerable: true, get: () => ns[key] });
  Object.defineProperty(exports, '__esModule', { value: true });
  return exports;
}
