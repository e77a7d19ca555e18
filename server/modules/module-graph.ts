/**
 * What a form imports, resolved as Node and TypeScript resolve it from the form's file on
 * the master: relative specifiers with or without an extension, a directory's `index`,
 * `tsconfig.json` `paths`, and packages through their `exports`. esbuild's resolver does
 * this (it is the bundler's own); its metafile gives each file's imports, from which the
 * graph is read. Nothing is bundled: each module is shipped on its own (module-code.ts).
 *
 * The form's own imports are resolved each time. What each of them reaches (its closure) is
 * kept while none of its files changed, so a new form that imports a large package pays for
 * the package's graph once.
 */
import { build, type Message, type Metafile, type Plugin } from 'esbuild';
import { isBuiltin } from 'node:module';
import { dirname, resolve } from 'node:path';
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';
import type { ImportLink } from '../../protocol/messages/module-messages';
import { ClosureCache, type Closure } from './closure-cache';

/** The name esbuild gives the form itself, never a file's. */
const FORM = '<crew-form>';

/** A form's imports and every file they reach, each with its own imports. */
export interface ResolvedGraph {
  imports: ImportLink[];
  /** Every file of the master's that the form reaches, by absolute path. */
  files: Map<string, ImportLink[]>;
}

/** Where a form is resolved from: its code (as esbuild loads it) and its file, or the working directory. */
export interface GraphEntry {
  code: string;
  loader: 'ts' | 'js';
  /** The form's file: imports resolve from its folder. Absent for string forms. */
  filename?: string;
  /** The master's working directory, where string forms resolve from. */
  cwd: string;
}

/** What one resolution learns beyond the metafile: packages left to the host, addons, the form's imports. */
interface Findings {
  onHost: Map<string, string>;
  native: { addon: string; pkg: string }[];
  /** Each specifier the form imports that the master ships, and the file it names. */
  atForm: Map<string, string>;
}

/**
 * Resolves the graph of `entry`. A package the master cannot resolve is left to the worker's
 * host (`host`); so is a package with a native addon, which cannot be shipped.
 */
export async function resolveGraph(entry: GraphEntry, closures: ClosureCache): Promise<ResolvedGraph> {
  const onHost = new Map<string, string>();
  for (;;) {
    const found: Findings = { onHost, native: [], atForm: new Map() };
    const graph = await resolveOnce(entry, closures, found);
    if (graph) return graph;
    // A package with a native addon goes to the worker's host whole, and the graph is made again.
    for (const { addon, pkg } of found.native)
      onHost.set(pkg, `it holds the native addon ${addon}, which Crew cannot ship: install ${pkg} on the workers`);
  }
}

/** The graph, or undefined when a native addon was found (resolve again with its package on the host). */
async function resolveOnce(
  entry: GraphEntry,
  closures: ClosureCache,
  found: Findings,
): Promise<ResolvedGraph | undefined> {
  const dir = folderOf(entry);
  const form = await metafileOf(
    { stdin: { contents: entry.code, loader: entry.loader, resolveDir: dir, sourcefile: FORM } },
    entry,
    found,
  );
  if (found.native.length) return undefined;
  const input = Object.entries(form.inputs).find(([name]) => isForm(name))?.[1];
  const imports = input ? linksOf(input.imports, entry.cwd, found, found.atForm) : [];
  const files = new Map<string, ImportLink[]>();
  for (const link of imports) {
    if (link.kind !== 'ship') continue;
    let closure = closures.get(link.to);
    if (!closure) {
      const meta = await metafileOf({ entryPoints: [link.to] }, entry, found);
      if (found.native.length) return undefined;
      closure = closureOf(meta, entry.cwd, found);
      closures.set(link.to, closure);
    }
    for (const [path, deps] of closure.files) files.set(path, deps);
  }
  return { imports, files };
}

async function metafileOf(
  what:
    | { stdin: { contents: string; loader: 'ts' | 'js'; resolveDir: string; sourcefile: string } }
    | { entryPoints: string[] },
  entry: GraphEntry,
  found: Findings,
): Promise<Metafile> {
  try {
    const result = await build({
      ...what,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      absWorkingDir: entry.cwd,
      plugins: [resolverPlugin(found)],
    });
    return result.metafile;
  } catch (err) {
    const first = (err as { errors?: Message[] }).errors?.[0];
    // The form's own syntax is the evaluator's to judge, as for a form that imports nothing.
    if (first?.location && isForm(first.location.file) && !/^Could not resolve/.test(first.text))
      return { inputs: {}, outputs: {} };
    throw graphError(err, entry);
  }
}

/**
 * The form's imports stop at the form: each is resolved, and what it reaches is its closure's
 * (closure-cache.ts). Packages the master lacks, and those already sent to the host, are left
 * to the worker's host; a `require` of a package that exports only for `import` is resolved as
 * an import (it is shipped as CommonJS either way); a native addon is noted.
 */
function resolverPlugin(found: Findings): Plugin {
  return {
    name: 'crew-resolver',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === FORM) return undefined;
        if (args.path.endsWith('.node')) {
          found.native.push({ addon: args.path, pkg: packageOf(args.importer) ?? args.path });
          return { path: args.path, external: true };
        }
        const bare = /^[^./]/.test(args.path);
        if (bare && isBuiltin(args.path)) return undefined;
        if (bare && found.onHost.has(packageName(args.path))) return { path: args.path, external: true };
        const atForm = isForm(args.importer);
        if (!bare && !atForm) return undefined;
        const again = { resolveDir: args.resolveDir, importer: args.importer, pluginData: FORM };
        let hit = await b.resolve(args.path, { ...again, kind: args.kind });
        if (hit.errors.length && bare && args.kind === 'require-call')
          hit = await b.resolve(args.path, { ...again, kind: 'import-statement' });
        if (hit.errors.length && bare) {
          found.onHost.set(packageName(args.path), 'the master cannot resolve it: install it on the workers');
          return { path: args.path, external: true };
        }
        if (hit.errors.length || !atForm || hit.external) return hit.errors.length ? undefined : hit;
        if (hit.path.endsWith('.node')) {
          found.native.push({ addon: hit.path, pkg: packageOf(hit.path) ?? hit.path });
          return { path: hit.path, external: true };
        }
        // Kept as the specifier: the metafile names an external import only by its path.
        found.atForm.set(args.path, hit.path);
        return { path: args.path, external: true };
      });
    },
  };
}

/** Where each import of a file leads. */
function linksOf(
  imports: Metafile['inputs'][string]['imports'],
  cwd: string,
  found: Findings,
  atForm?: Map<string, string>,
): ImportLink[] {
  return imports.map((i): ImportLink => {
    const spec = i.original ?? i.path;
    if (!i.external) return { spec, kind: 'ship', to: resolve(cwd, i.path) };
    const shipped = atForm?.get(i.path);
    if (shipped !== undefined) return { spec, kind: 'ship', to: shipped };
    if (isBuiltin(i.path)) return { spec, kind: 'builtin', to: i.path };
    const why = found.onHost.get(packageName(i.path));
    return { spec, kind: 'host', to: i.path, ...(why ? { why } : {}) };
  });
}

function closureOf(meta: Metafile, cwd: string, found: Findings): Closure {
  const files = new Map<string, ImportLink[]>();
  for (const [name, input] of Object.entries(meta.inputs))
    files.set(resolve(cwd, name), linksOf(input.imports, cwd, found));
  return { files };
}

/**
 * The folder a form's imports resolve from: its file's, for a path or a `file:` URL, and for a
 * notebook cell (`vscode-notebook-cell:/…/nb.ipynb#…`) the notebook's; else the working directory.
 */
function folderOf(entry: GraphEntry): string {
  const name = entry.filename;
  if (!name) return entry.cwd;
  if (name.startsWith('/')) return dirname(name);
  if (!/^(file|vscode-notebook-cell):/.test(name)) return entry.cwd;
  try {
    return dirname(decodeURIComponent(new URL(name).pathname));
  } catch {
    return entry.cwd;
  }
}

/** esbuild names the form by its name in the folder it resolves from. */
function isForm(name: string): boolean {
  return name === FORM || name.endsWith(`/${FORM}`);
}

/** `@scope/pkg` or `pkg` of a bare specifier. */
function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The package a file of `node_modules` belongs to. */
function packageOf(file: string): string | undefined {
  const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  return m?.[1];
}

/** esbuild's first error, as Crew's: a module that cannot be found, or one that cannot be loaded. */
function graphError(err: unknown, entry: GraphEntry): CrewError {
  const first = (err as { errors?: Message[] }).errors?.[0];
  if (!first) return crewError(ErrorCodes.ModuleNotFound, (err as Error).message);
  const loc = first.location;
  const where = loc
    ? `${isForm(loc.file) ? (entry.filename ?? '<form>') : resolve(entry.cwd, loc.file)}:${loc.line}:${loc.column + 1}`
    : (entry.filename ?? '<form>');
  const notFound = /^Could not resolve/.test(first.text);
  return crewError(
    notFound ? ErrorCodes.ModuleNotFound : ErrorCodes.ModuleNotShippable,
    `${first.text.replace(/\s*\(.*mark the path.*\)$/, '')} (imported at ${where})`,
  );
}
