/**
 * How `crew run` builds a driver script: esbuild bundles it (TypeScript, top-level await,
 * source maps) into one CommonJS file whose body is an async function, so that the master
 * can start it under a SIGINT watchdog (see master-breakable.ts): a module loaded by
 * `import()` runs where nothing can watch it. Packages are not bundled: each is loaded from
 * the script's own folder before the script runs, as an ES module's imports are, and
 * `crew` is this very library. `require`, `__filename`, `__dirname` and `import.meta.url`
 * name each file where it really is, not the temporary bundle.
 */
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crewError, ErrorCodes } from '../../protocol/errors';

/** Where the running bundle finds what the master gives it. */
export const RUN_HOST = 'crew.run';

/** What the bundle reads from `globalThis[Symbol.for(RUN_HOST)]`. */
export interface RunHost {
  /** The packages the script imports, loaded, by the key the bundle names them with. */
  externals: Map<string, Record<string, unknown>>;
  /** The bundle's arguments: `require` and the entry script's place. */
  params: unknown[];
  /** The script's exports, set once its body has run. */
  exports?: Record<string, unknown>;
}

/** The library a script imports as `crew`. */
const crewIndex = join(__dirname, 'index.js');

const PLACES = {
  __filename: '__crew_filename',
  __dirname: '__crew_dirname',
  'import.meta.url': '__crew_import_meta_url',
  'import.meta.filename': '__crew_filename',
  'import.meta.dirname': '__crew_dirname',
  'import.meta': '__crew_import_meta',
};

/** What `import.meta` is in a file at `file`. */
function metaOf(file: string): { url: string; filename: string; dirname: string } {
  return { url: pathToFileURL(file).href, filename: file, dirname: dirname(file) };
}

/**
 * The bundle's parameters, in order: `require`, then the entry script's place, which a file
 * that cannot be told its own (CommonJS, see {@link placeImport}) sees.
 */
export function bundleParams(script: string, require: NodeJS.Require): unknown[] {
  const meta = metaOf(script);
  return [require, meta.filename, meta.dirname, meta.url, meta];
}
const BUNDLE_PARAMS = ['require', '__crew_filename', '__crew_dirname', '__crew_import_meta_url', '__crew_import_meta'];

/**
 * Names a file's place, appended as an `import` (hoisted, so valid from its first line, and
 * appended, so its lines and columns stay put). A CommonJS file is left as it is: an
 * `import` would make it a module, and it sees the entry script's place.
 */
function placeImport(text: string): string {
  if (/\b(?:module\.exports|exports\.[\w$]+\s*=)/.test(text)) return '';
  const names =
    'filename as __crew_filename, dirname as __crew_dirname, url as __crew_import_meta_url, meta as __crew_import_meta';
  return `\nimport { ${names} } from "crew-place";\n`;
}

/** Bundles `script` into `outfile`; the externals it imports are loaded into `host`. */
export async function bundleScript(script: string, outfile: string, host: RunHost): Promise<void> {
  const filename = resolve(script);
  const access = `globalThis[Symbol.for(${JSON.stringify(RUN_HOST)})]`;
  try {
    await build({
      stdin: {
        contents: `import * as script from ${JSON.stringify(filename)};\n${access}.exports = script;\n`,
        resolveDir: dirname(filename),
        sourcefile: 'crew-run-entry.js',
      },
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      define: PLACES,
      // The body of an async function, so that top-level await works in CommonJS.
      banner: { js: `module.exports = (async (${BUNDLE_PARAMS.join(', ')}) => {` },
      footer: { js: `})(...${access}.params);` },
      plugins: [filePlaces(), externalsFrom(host)],
    });
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] })
      .errors?.[0];
    const where = first?.location
      ? `${resolve(first.location.file)}:${first.location.line}:${first.location.column + 1}: `
      : '';
    throw crewError(ErrorCodes.FormSyntax, `cannot build ${script}: ${where}${first?.text ?? (err as Error).message}`);
  }
}

/**
 * Packages and built-in modules stay outside the bundle. An `import` of one is loaded here
 * (so an ES-only package works) and handed to the bundle as a module of the same names; a
 * `require` stays a call of the script's `require`; an `import()` stays one.
 */
function externalsFrom(host: RunHost): Plugin {
  return {
    name: 'crew-externals',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const url = externalUrl(args.path, args.resolveDir);
        if (!url) return undefined;
        if (args.kind === 'require-call' || args.kind === 'require-resolve')
          return {
            path: args.path === 'crew' ? crewIndex : isBuiltin(args.path) ? args.path : fileOf(url),
            external: true,
          };
        if (args.kind === 'dynamic-import') return { path: url, external: true };
        return { path: url, namespace: 'crew-external' };
      });
      b.onLoad({ filter: /.*/, namespace: 'crew-external' }, async (args) => {
        const loaded = (await import(args.path)) as Record<string, unknown>;
        host.externals.set(args.path, loaded);
        const names = Object.keys(loaded).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
        const from = `globalThis[Symbol.for(${JSON.stringify(RUN_HOST)})].externals.get(${JSON.stringify(args.path)})`;
        const contents = [
          // A name no export can take: an export named like it would not compile.
          `const __crew_loaded = ${from};`,
          `export default __crew_loaded.default;`,
          ...names
            .filter((n) => n !== '__crew_loaded')
            .map((n) => `export const ${n} = __crew_loaded[${JSON.stringify(n)}];`),
        ].join('\n');
        return { contents, loader: 'js' };
      });
    },
  };
}

/** Where a bare import leads, as a URL to load; undefined when it must be bundled instead. */
function externalUrl(specifier: string, resolveDir: string): string | undefined {
  if (specifier === 'crew') return pathToFileURL(crewIndex).href;
  if (isBuiltin(specifier)) return specifier.startsWith('node:') ? specifier : `node:${specifier}`;
  try {
    return pathToFileURL(createRequire(join(resolveDir, 'noop.js')).resolve(specifier)).href;
  } catch {
    // An ES-only package (no "require" condition) is bundled from its files.
    return undefined;
  }
}

function fileOf(url: string): string {
  return fileURLToPath(url);
}

/** Each of the script's own files learns where it is: see {@link placeImport}. */
function filePlaces(): Plugin {
  const loaders = {
    '.ts': 'ts',
    '.mts': 'ts',
    '.cts': 'ts',
    '.tsx': 'tsx',
    '.js': 'js',
    '.mjs': 'js',
    '.cjs': 'js',
    '.jsx': 'jsx',
  } as const;
  return {
    name: 'crew-file-places',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (args.namespace !== 'file' || args.path.includes('/node_modules/')) return undefined;
        const text = await readFile(args.path, 'utf8');
        return {
          contents: text + placeImport(text),
          loader: loaders[extname(args.path) as keyof typeof loaders],
          resolveDir: dirname(args.path),
        };
      });
      // Each importer gets a module of its own: resolved with the importer's path.
      b.onResolve({ filter: /^crew-place$/ }, (args) => ({ path: args.importer, namespace: 'crew-place' }));
      b.onLoad({ filter: /.*/, namespace: 'crew-place' }, (args) => {
        const meta = JSON.stringify(metaOf(args.path));
        return {
          contents: `export const meta = ${meta};\nexport const { filename, dirname, url } = meta;\n`,
          loader: 'js',
        };
      });
    },
  };
}
