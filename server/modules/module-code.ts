/**
 * Each module of a project as a worker runs it: transpiled on its own by esbuild to
 * CommonJS (TypeScript, JSX, ES modules and JSON alike), with a source map to the user's
 * file, and named by the hash of that code. A file is transpiled again only when it changed.
 */
import { transform, type Loader } from 'esbuild';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { IMPORT_META_URL, type ModuleCode } from '../../protocol/messages/module-messages';
import { moduleHash } from '../../protocol/module-hash';
import { sourceUrl } from '../api/form-source-map';

/** The loader of each extension Crew ships; any other file is refused by name. */
const LOADERS: Record<string, Loader> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.jsx': 'jsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.json': 'json',
};

/** A file as last read: its code is made again only when its size or time changed. */
interface Entry {
  mtimeMs: number;
  size: number;
  code: ModuleCode;
}

/** The master's transpiled modules, by path and by hash. */
export class ModuleCodes {
  private readonly byPath = new Map<string, Entry>();
  private readonly byHash = new Map<string, ModuleCode>();

  /** The module at `path` as it is on disk now. */
  async of(path: string): Promise<ModuleCode> {
    const s = await stat(path).catch(() => undefined);
    if (!s) throw crewError(ErrorCodes.ModuleNotFound, `the module ${path} is gone from the master`);
    const known = this.byPath.get(path);
    if (known && known.mtimeMs === s.mtimeMs && known.size === s.size) return known.code;
    const code = await transpile(path, await readFile(path, 'utf8'));
    // The old version stays for the workers that still run forms sent with it.
    this.byPath.set(path, { mtimeMs: s.mtimeMs, size: s.size, code });
    this.byHash.set(code.hash, code);
    return code;
  }

  /**
   * The size and time (`size:mtimeMs`, as closure-cache.ts writes them) of the version of
   * `path` last made by {@link of}: what a graph that holds it was made from.
   */
  stampOf(path: string): string {
    const known = this.byPath.get(path);
    return known ? `${known.size}:${known.mtimeMs}` : 'gone';
  }

  /** The code of each hash, and the hashes no longer known. */
  codes(hashes: readonly string[]): { modules: ModuleCode[]; missing: string[] } {
    const modules: ModuleCode[] = [];
    const missing: string[] = [];
    for (const h of hashes) {
      const m = this.byHash.get(h);
      if (m) modules.push(m);
      else missing.push(h);
    }
    return { modules, missing };
  }
}

async function transpile(path: string, source: string): Promise<ModuleCode> {
  const loader = LOADERS[extname(path)];
  if (!loader)
    throw crewError(
      ErrorCodes.ModuleNotShippable,
      `${path} is not a module Crew can ship (${Object.keys(LOADERS).join(' ')}): ` +
        'install what imports it on the workers',
    );
  try {
    const out = await transform(source, {
      loader,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcemap: 'external',
      sourcesContent: false,
      // As a .js or .ts file: esbuild reads a .mjs or .mts one in Node's mode, where a default
      // import of a module that was ESM (as each shipped module was) gives its whole exports.
      sourcefile: path.replace(/\.m([jt])s$/, '.$1s'),
      define: { 'import.meta.url': IMPORT_META_URL },
      logLevel: 'silent',
    });
    const map = out.map ? placed(out.map, path) : undefined;
    return { hash: moduleHash(out.code, map), path, code: out.code, map };
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { line: number; column: number } | null }[] })
      .errors?.[0];
    const at = first?.location ? `${path}:${first.location.line}:${first.location.column + 1}` : path;
    throw crewError(ErrorCodes.ModuleNotShippable, `${first?.text ?? (err as Error).message} (in ${at})`);
  }
}

/** esbuild's map with its source named as the form's maps name theirs: the file's URL. */
function placed(map: string, path: string): string {
  const m = JSON.parse(map) as { sources: string[] };
  m.sources = [sourceUrl(path)];
  return JSON.stringify(m);
}
