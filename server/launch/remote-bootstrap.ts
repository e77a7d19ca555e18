/**
 * Crew onto hosts that have Node and nothing else. Over ssh, a short shell script runs
 * first: a host with `crew` on its PATH uses that; any other gets this master's one-file
 * worker (`dist/crew-remote.js`, see scripts/remote-bundle.mjs) over the same ssh channel,
 * checks it against its hash, and keeps it in the user's cache folder, so the next launch
 * sends nothing. The script tells the master what it needs by one line on stdout, which the
 * master answers on stdin: the bundle when asked, then the secret line, as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crewError, ErrorCodes } from '../../protocol/errors';

/** The line the script prints, and what it asks for. */
export const BOOTSTRAP_LINE = /^crew-bootstrap (have|need|stored)$/;

/** The one-file worker this master ships: its bytes and the hash that names it on the hosts. */
export interface RemoteBundle {
  bytes: Buffer;
  hash: string;
}

/** The one-file worker beside this bundle of the CLI, or a clear error when it was not built. */
export function remoteBundle(file = join(__dirname, 'crew-remote.js')): RemoteBundle {
  if (!existsSync(file))
    throw crewError(
      ErrorCodes.BadArgument,
      `there is no one-file worker at ${file} to send to hosts without Crew (npm run build makes it); ` +
        'or give --remote-command',
    );
  const bytes = readFileSync(file);
  return { bytes, hash: createHash('sha256').update(bytes).digest('hex') };
}

/** Quotes a word for the remote shell. */
function q(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The remote command: `crew worker <args>` where crew is installed, else `node` on the
 * cached one-file worker, fetched first if the host does not hold it. `workerArgs` are
 * already quoted for the shell; `cacheDir` is the folder on the host (default the user's
 * cache folder there).
 */
export function bootstrapScript(bundle: RemoteBundle, workerArgs: string, cacheDir?: string): string {
  const dir = cacheDir ? q(cacheDir) : '"${XDG_CACHE_HOME:-$HOME/.cache}/crew"';
  const check =
    "const [f, h] = process.argv.slice(1); const d = require('crypto').createHash('sha256')" +
    ".update(require('fs').readFileSync(f)).digest('hex'); process.exit(d === h ? 0 : 1)";
  return [
    `if command -v crew >/dev/null 2>&1; then echo 'crew-bootstrap have'; exec crew worker ${workerArgs}; fi`,
    'if ! command -v node >/dev/null 2>&1; then',
    `  echo "crew launch: $(hostname) has neither crew nor node on its PATH ($PATH): install Node 20 or later" >&2`,
    '  exit 127',
    'fi',
    `d=${dir}/remote; f="$d/crew-remote-${bundle.hash.slice(0, 16)}.js"`,
    'if [ -f "$f" ]; then echo \'crew-bootstrap have\'; else',
    '  umask 077; mkdir -p "$d" || exit 1',
    "  echo 'crew-bootstrap need'",
    `  head -c ${bundle.bytes.length} > "$f.$$" || exit 1`,
    `  if ! node -e ${q(check)} "$f.$$" ${bundle.hash}; then`,
    `    rm -f "$f.$$"; echo "crew launch: Crew's worker arrived damaged on $(hostname)" >&2; exit 1`,
    '  fi',
    '  mv "$f.$$" "$f"',
    "  echo 'crew-bootstrap stored'",
    'fi',
    `exec node "$f" ${workerArgs}`,
  ].join('\n');
}
