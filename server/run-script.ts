/**
 * `crew run`: bundles a driver script with esbuild (TypeScript, inline source maps) and runs
 * it in this process against the pool. `import ... from 'crew'` resolves to this very
 * library, so the script and the CLI share one pool.
 */
import { build } from 'esbuild';
import Module from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { crewError, ErrorCodes } from '../protocol/errors';
import type { WorkerPool } from './pool';
import { apiGlobals } from './repl';

export async function runScript(file: string, pool: WorkerPool): Promise<unknown> {
  const filename = resolve(file);
  let code: string;
  try {
    const out = await build({
      entryPoints: [filename],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      write: false,
      packages: 'external',
      logLevel: 'silent',
      plugins: [
        {
          name: 'crew-self',
          setup(b) {
            b.onResolve({ filter: /^crew$/ }, () => ({ path: join(__dirname, 'index.js'), external: true }));
          },
        },
      ],
    });
    code = out.outputFiles[0].text;
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw crewError(ErrorCodes.FormSyntax, `cannot build ${file}: ${where}${first?.text ?? (err as Error).message}`);
  }
  process.setSourceMapsEnabled(true);
  Object.assign(globalThis, apiGlobals(pool));
  const mod = new Module(filename) as Module & { _compile(code: string, filename: string): void; paths: string[] };
  mod.filename = filename;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(filename));
  mod._compile(code, filename);
  const exported = mod.exports as { default?: unknown };
  const main = typeof exported === 'function' ? exported : exported?.default;
  return typeof main === 'function' ? await (main as (p: WorkerPool) => unknown)(pool) : undefined;
}
