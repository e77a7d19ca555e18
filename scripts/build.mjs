// Bundles each entry point with esbuild; declarations for the library come from tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExtension } from './package-extension-bundle.mjs';
import { buildRemoteBundle } from './remote-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  packages: 'external',
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: { index: 'server/index.ts' }, outdir: 'dist' }),
  build({
    ...common,
    entryPoints: { cli: 'server/cli/cli.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  }),
  build({ ...common, entryPoints: { 'eval-thread': 'worker/eval-thread/eval-thread.ts' }, outdir: 'dist' }),
  // Local worker processes start from this lighter entry (see server/launch/local-workers.ts). It
  // carries its own copy of ws: finding a package through node_modules costs a starting
  // process more than compiling it. ws loads its optional native helpers only if present.
  build({
    ...common,
    entryPoints: { 'worker-process': 'server/cli/worker-process.ts' },
    outdir: 'dist',
    packages: undefined,
    // acorn stays in node_modules: only a worker that is debugged loads it.
    external: ['bufferutil', 'utf-8-validate', 'acorn'],
  }),
  // The extension, with its own self-contained copy of the CLI, in extension/dist.
  buildExtension(root),
]);
chmodSync(join(root, 'dist/cli.js'), 0o755);
// After the eval thread is built: the one-file worker that crew launch --ssh ships to bare hosts.
await buildRemoteBundle(root, common);

if (!process.argv.includes('--no-types')) {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--emitDeclarationOnly'],
    { stdio: 'inherit', cwd: root },
  );
}
