/**
 * Where the shared secret comes from: an explicit value, `--secret-file`, `CREW_SECRET`, or a
 * file generated once with mode 0600 in the user's config folder (like `~/.slime-secret`).
 * A secret file must be the user's own, readable by nobody else, and not a symbolic link;
 * any other is refused rather than quietly tightened (see private-file.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CrewError, crewError, ErrorCodes } from './errors';
import { checkPrivateFolder, readPrivateFile } from './private-file';

export interface SecretOptions {
  secret?: string | Buffer;
  secretFile?: string;
}

const SECRET_FILE = { what: 'the secret file', code: ErrorCodes.Secret } as const;

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
    // A folder another user controls could have the new secret swapped for one of theirs.
    checkPrivateFolder(file, SECRET_FILE);
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if (err instanceof CrewError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw crewError(ErrorCodes.Secret, `cannot create the secret file ${file}: ${(err as Error).message}`);
    }
  }
  return readSecretFile(file);
}

/**
 * Removes `CREW_SECRET` from this process's environment, for a worker that has read its
 * secret: the user code it runs, and every process that code starts, would inherit it.
 * Returns whether it was set.
 */
export function forgetSecretEnv(): boolean {
  const was = process.env.CREW_SECRET !== undefined;
  delete process.env.CREW_SECRET;
  return was;
}

function readSecretFile(file: string): Buffer {
  const text = readPrivateFile(file, { ...SECRET_FILE, forbiddenBits: 0o077 });
  return checked(Buffer.from(text.trim()), file);
}

function checked(secret: Buffer, source: string): Buffer {
  if (secret.length < 16)
    throw crewError(ErrorCodes.Secret, `the secret from ${source} is ${secret.length} bytes; use at least 16`);
  return secret;
}
