// `npm run package`: builds the .vsix of the Crew extension with @vscode/vsce. The package
// carries the bundled extension, a self-contained crew CLI (the master it starts), the eval
// thread script and esbuild's binary for this platform, so it is marked for this platform.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExtension } from './package-extension-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ext = join(root, 'extension');
const stage = join(root, '.cache', 'vsix-stage');
const manifest = JSON.parse(readFileSync(join(ext, 'package.json'), 'utf8'));
const target = `${process.platform}-${process.arch}`;
const out = join(root, `${manifest.name}-${manifest.version}-${target}.vsix`);

await buildExtension(root);
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'dist'), { recursive: true });
for (const f of ['package.json', 'README.md', 'LICENSE', 'media'])
  cpSync(join(ext, f), join(stage, f), { recursive: true });
const files = ['extension.js', 'cli.js', 'eval-thread.js', 'cluster-view.js', 'cluster-view.css'];
for (const f of [...files, process.platform === 'win32' ? 'esbuild.exe' : 'esbuild'])
  cpSync(join(ext, 'dist', f), join(stage, 'dist', f));

// Everything the extension needs is bundled; vsce is told not to look for node_modules.
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--target',
    target,
    '--out',
    out,
  ],
  { cwd: stage, stdio: 'inherit' },
);
process.stdout.write(`${out}\n`);
