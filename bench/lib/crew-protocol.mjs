// Crew's own wire code for the benchmark's worker simulator: the link, the handshake and the
// codec, bundled from the same sources the package is built from, so a simulated worker
// speaks exactly what a real one does (authentication, compact frames, guards).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

/** Bundles the wire modules into one file (once per benchmark run) and returns its path. */
export function bundleProtocol() {
  return bundle(['protocol/link/sockets', 'protocol/link/worker-handshake', 'protocol/codec/codec'], 'crew-protocol');
}

/** Bundles `modules` (paths without `.ts`) and loads their exports, for benches of one piece. */
export async function bundleSources(modules) {
  return loadProtocol(await bundle(modules, modules.map((m) => m.replaceAll('/', '-')).join('+')));
}

async function bundle(modules, name) {
  const out = join(root, '.cache', 'bench', `${name}.cjs`);
  await build({
    stdin: { contents: modules.map((m) => `export * from './${m}';`).join('\n'), resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    packages: 'external',
    logLevel: 'warning',
  });
  return out;
}

/** Loads a bundle made by {@link bundleProtocol}. */
export function loadProtocol(path) {
  return require(path);
}
