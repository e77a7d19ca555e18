/**
 * What a form imports, resolved as Node and TypeScript resolve it from the form's file on
 * the master: relative specifiers with or without an extension, a directory's `index`,
 * `tsconfig.json` `paths`, and packages through their `exports`. esbuild's resolver does
 * this (it is the bundler's own); its metafile gives each file's imports, from which the
 * graph is read. Nothing is bundled: each module is shipped on its own (module-code.ts).
 */
import { build, type Message, type Metafile, type Plugin } from 'esbuild';
import { isBuiltin } from 'node:module';
import { resolve } from 'node:path';
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';
import type { ImportLink } from '../../protocol/messages/module-messages';

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

/**
 * Resolves the graph of `entry`. A package the master cannot resolve is left to the worker's
 * host (`host`); so is a package with a native addon, which cannot be shipped.
 */
export async function resolveGraph(entry: GraphEntry): Promise<ResolvedGraph> {
  const onHost = new Map<string, string>();
  for (;;) {
    const native: { addon: string; pkg: string }[] = [];
    const meta = await metafileOf(entry, onHost, native);
    if (native.length === 0) return graphOf(meta, entry.cwd, onHost);
    // A package with a native addon goes to the worker's host whole, and the graph is made again.
    for (const { addon, pkg } of native)
      onHost.set(pkg, `it holds the native addon ${addon}, which Crew cannot ship: install ${pkg} on the workers`);
  }
}

async function metafileOf(
  entry: GraphEntry,
  onHost: Map<string, string>,
  native: { addon: string; pkg: string }[],
): Promise<Metafile> {
  const dir = entry.filename && entry.filename.startsWith('/') ? resolve(entry.filename, '..') : entry.cwd;
  try {
    const result = await build({
      stdin: { contents: entry.code, loader: entry.loader, resolveDir: dir, sourcefile: FORM },
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      absWorkingDir: entry.cwd,
      plugins: [packagesPlugin(onHost, native)],
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
 * Packages: those the master lacks, and those already sent to the host, are left to the
 * worker's host; a `require` of a package that exports only for `import` is resolved as an
 * import (it is shipped as CommonJS either way); a native addon is noted.
 */
function packagesPlugin(onHost: Map<string, string>, native: { addon: string; pkg: string }[]): Plugin {
  return {
    name: 'crew-packages',
    setup(b) {
      b.onResolve({ filter: /\.node$/ }, (args) => {
        native.push({ addon: args.path, pkg: packageOf(args.importer) ?? args.path });
        return { path: args.path, external: true };
      });
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === FORM || isBuiltin(args.path)) return undefined;
        if (onHost.has(packageName(args.path))) return { path: args.path, external: true };
        const again = { resolveDir: args.resolveDir, importer: args.importer, pluginData: FORM };
        let found = await b.resolve(args.path, { ...again, kind: args.kind });
        if (found.errors.length && args.kind === 'require-call')
          found = await b.resolve(args.path, { ...again, kind: 'import-statement' });
        if (!found.errors.length) return found;
        onHost.set(packageName(args.path), `the master cannot resolve it: install it on the workers`);
        return { path: args.path, external: true };
      });
    },
  };
}

function graphOf(meta: Metafile, cwd: string, onHost: Map<string, string>): ResolvedGraph {
  const linksOf = (imports: Metafile['inputs'][string]['imports']): ImportLink[] =>
    imports.map((i): ImportLink => {
      const spec = i.original ?? i.path;
      if (!i.external) return { spec, kind: 'ship', to: resolve(cwd, i.path) };
      if (isBuiltin(i.path)) return { spec, kind: 'builtin', to: i.path };
      const why = onHost.get(packageName(i.path));
      return { spec, kind: 'host', to: i.path, ...(why ? { why } : {}) };
    });
  const files = new Map<string, ImportLink[]>();
  let imports: ImportLink[] = [];
  for (const [name, input] of Object.entries(meta.inputs)) {
    if (isForm(name)) imports = linksOf(input.imports);
    else files.set(resolve(cwd, name), linksOf(input.imports));
  }
  return { imports, files };
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
