// Crew's protocol modules for tests that speak to a worker directly (a hand-made master that
// signs, or mis-signs, its own frames). They are bundled from source once per test file.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { mkdirSync, rmSync } from 'node:fs';
import { root } from '../helpers.mjs';

export async function loadProtocol() {
  // Inside the repository (in the ignored .cache folder) so that `ws` resolves.
  mkdirSync(join(root, '.cache'), { recursive: true });
  const outfile = join(root, '.cache', `test-protocol-${process.pid}.cjs`);
  await build({
    stdin: {
      contents: ['link/worker-handshake', 'link/sockets', 'signing', 'codec/codec', 'errors']
        .map((m) => `export * from './protocol/${m}';`)
        .join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    packages: 'external',
    logLevel: 'silent',
  });
  const mod = createRequire(import.meta.url)(outfile);
  rmSync(outfile, { force: true });
  return mod;
}
