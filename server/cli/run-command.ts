/**
 * `crew run`: bundles a driver script with esbuild (TypeScript, top-level await, source maps)
 * and runs it in this process against the pool. Packages are not bundled: each import is
 * resolved from the script's own folder, and `import ... from 'crew'` is this very library,
 * so the script and the CLI share one pool.
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { WorkerPool } from '../pool/pool';
import { apiGlobals } from './repl';

export async function runScript(file: string, pool: WorkerPool): Promise<unknown> {
  const filename = resolve(file);
  const dir = mkdtempSync(join(tmpdir(), 'crew-run-'));
  const outfile = join(dir, `${basename(filename).replace(/\.[^.]*$/, '')}.mjs`);
  try {
    try {
      await build({
        entryPoints: [filename],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: 'inline',
        logLevel: 'silent',
        plugins: [
          {
            name: 'crew-imports',
            setup(b) {
              b.onResolve({ filter: /^crew$/ }, () => ({
                path: pathToFileURL(join(__dirname, 'index.js')).href,
                external: true,
              }));
              // Bare imports stay external, but resolved from the script's folder, not the temp one.
              b.onResolve({ filter: /^[^./]/ }, (args) => {
                if (args.kind === 'entry-point') return undefined;
                if (isBuiltin(args.path)) return { path: args.path, external: true };
                try {
                  return {
                    path: pathToFileURL(createRequire(join(args.resolveDir, 'noop.js')).resolve(args.path)).href,
                    external: true,
                  };
                } catch {
                  return undefined;
                }
              });
            },
          },
        ],
      });
    } catch (err) {
      const first = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] })
        .errors?.[0];
      const where = first?.location
        ? `${resolve(first.location.file)}:${first.location.line}:${first.location.column + 1}: `
        : '';
      throw crewError(ErrorCodes.FormSyntax, `cannot build ${file}: ${where}${first?.text ?? (err as Error).message}`);
    }
    process.setSourceMapsEnabled(true);
    Object.assign(globalThis, apiGlobals(pool));
    const mod = (await import(pathToFileURL(outfile).href)) as { default?: unknown };
    return typeof mod.default === 'function' ? await (mod.default as (p: WorkerPool) => unknown)(pool) : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
