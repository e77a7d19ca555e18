// Bundles the VS Code extension into extension/dist: the extension itself (vscode kept
// external), and a self-contained copy of the crew CLI that the extension starts as
// `crew lsp --stdio`, with the eval thread script and esbuild's binary beside it, so that a
// packaged .vsix needs nothing else installed.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** esbuild's native binary for this platform, from its @esbuild/<platform>-<arch> package. */
export function esbuildBinary(root = defaultRoot) {
  const require = createRequire(join(root, 'package.json'));
  const pkg = `@esbuild/${process.platform}-${process.arch}`;
  const exe = process.platform === 'win32' ? 'esbuild.exe' : 'bin/esbuild';
  return require.resolve(`${pkg}/${exe}`);
}

// The bundled esbuild API finds its binary through ESBUILD_BINARY_PATH; the CLI sets it to
// the copy beside itself before anything loads esbuild.
const findEsbuild = `
(() => {
  const path = require('node:path'), fs = require('node:fs');
  const bin = path.join(__dirname, process.platform === 'win32' ? 'esbuild.exe' : 'esbuild');
  if (process.env.ESBUILD_BINARY_PATH || !fs.existsSync(bin)) return;
  // Unpacking a .vsix may drop the executable bit.
  try { fs.accessSync(bin, fs.constants.X_OK); } catch { try { fs.chmodSync(bin, 0o755); } catch {} }
  process.env.ESBUILD_BINARY_PATH = bin;
})();`;

export async function buildExtension(root = defaultRoot) {
  if (!existsSync(join(root, 'extension/extension.ts'))) return;
  const out = join(root, 'extension', 'dist');
  mkdirSync(out, { recursive: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    logLevel: 'warning',
    outdir: out,
  };
  // ws loads these native add-ons only if they are installed.
  const optional = ['bufferutil', 'utf-8-validate'];
  await Promise.all([
    build({ ...common, external: ['vscode', ...optional], entryPoints: { extension: 'extension/extension.ts' } }),
    build({
      ...common,
      external: optional,
      entryPoints: { cli: 'server/cli/cli.ts' },
      banner: { js: `#!/usr/bin/env node${findEsbuild}` },
      // Only reached on platforms without a native binary; ours is always beside cli.js.
      logOverride: { 'require-resolve-not-external': 'silent' },
    }),
    // No map for the eval thread: VS Code's debugger, attached to it, looks for one for every
    // frame under a form, and the extension ships none.
    build({
      ...common,
      sourcemap: false,
      external: optional,
      entryPoints: { 'eval-thread': 'worker/eval-thread/eval-thread.ts' },
    }),
    // The cluster view's page runs in a webview: a browser script, with uPlot and its CSS bundled in.
    build({
      absWorkingDir: root,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2020',
      minify: true,
      logLevel: 'warning',
      outdir: out,
      entryPoints: { 'cluster-view': 'extension/cluster/page/cluster-page.ts' },
    }),
  ]);
  chmodSync(join(out, 'cli.js'), 0o755);
  const bin = esbuildBinary(root);
  const target = join(out, process.platform === 'win32' ? 'esbuild.exe' : 'esbuild');
  copyFileSync(bin, target);
  chmodSync(target, 0o755);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildExtension();
