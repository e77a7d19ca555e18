/**
 * Where the shared secret comes from: an explicit value, `--secret-file`, `CREW_SECRET`, or a
 * file generated once with mode 0600 in the user's config folder (like `~/.slime-secret`).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { crewError, ErrorCodes } from './errors';

export interface SecretOptions {
  secret?: string | Buffer;
  secretFile?: string;
}

/** The default secret file: `$XDG_CONFIG_HOME/crew/secret` or `~/.config/crew/secret`. */
export function defaultSecretFile(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'crew', 'secret');
}

/** Resolves the secret, generating the default file on first use. */
export function resolveSecret(opts: SecretOptions = {}): Buffer {
  if (opts.secret !== undefined) return checked(Buffer.from(opts.secret), 'the secret option');
  if (opts.secretFile) return readSecretFile(opts.secretFile);
  if (process.env.CREW_SECRET) return checked(Buffer.from(process.env.CREW_SECRET), 'CREW_SECRET');
  const file = defaultSecretFile();
  if (existsSync(file)) return readSecretFile(file);
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw crewError(ErrorCodes.Secret, `cannot create the secret file ${file}: ${(err as Error).message}`);
    }
  }
  return readSecretFile(file);
}

function readSecretFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw crewError(ErrorCodes.Secret, `cannot read the secret file ${file}: ${(err as Error).message}`);
  }
  const mode = statSync(file).mode & 0o077;
  if (mode !== 0) {
    // Tighten rather than refuse: a readable secret is a mistake worth fixing quietly.
    try {
      chmodSync(file, 0o600);
    } catch {
      /* not ours to change; still usable */
    }
  }
  return checked(Buffer.from(text.trim()), file);
}

function checked(secret: Buffer, source: string): Buffer {
  if (secret.length < 16)
    throw crewError(ErrorCodes.Secret, `the secret from ${source} is ${secret.length} bytes; use at least 16`);
  return secret;
}
