/** Pieces shared by the `crew` subcommands: exit codes, option parsing, errors. */
import type { ParseArgsConfig } from 'node:util';
import { parseHostPort } from '../../protocol/address';
import { Audit, type AuditOptions } from '../../protocol/audit';
import { openAuditFile } from '../../protocol/audit-file';
import { CrewError, ErrorCodes, RemoteError } from '../../protocol/errors';

/** Exit codes, as documented in `crew --help` and the README. */
export const ExitCodes = {
  Ok: 0,
  /** The script or command failed. */
  Failed: 1,
  /** Bad usage: unknown option, missing argument. */
  Usage: 2,
  /** Could not start: cannot listen, connect, authenticate or read the secret. */
  CannotStart: 3,
  /** Stopped by Ctrl-C (SIGINT), as a shell reports it: 128 + 2. */
  Interrupted: 130,
} as const;

export class UsageError extends Error {}

/** The command cannot start (a file it must write, a port it must listen on): exit 3. */
export class StartError extends Error {}

export type Options = ParseArgsConfig['options'];

/** Options every networked command takes. */
export const commonOptions = {
  'secret-file': { type: 'string' },
  'audit-file': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  'heartbeat-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export function intOption(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number >= ${min}, got "${value}"`);
  return n;
}

/** `--port P`: a whole number from 0 (any free port) to 65535. */
export function portOption(value: string | undefined, name = 'port'): number | undefined {
  const port = intOption(value, name);
  if (port !== undefined && port > 65535)
    throw new UsageError(`--${name} must be a port from 0 to 65535, got "${value}"`);
  return port;
}

/** `host:port` given on the command line, checked now: a malformed one is bad usage. */
export function hostPortOption(value: string, name: string): string {
  try {
    parseHostPort(value);
    return value;
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
}

/**
 * Where the audit trail goes: `--audit-file F` (or `none`), else stderr. A file that cannot be
 * opened stops the command before it starts anything.
 */
export function auditOptions(values: { 'audit-file'?: string; verbose?: boolean }): AuditOptions {
  const file = values['audit-file'];
  if (file !== undefined && file !== 'none') {
    try {
      openAuditFile(file);
    } catch (err) {
      throw new StartError((err as Error).message);
    }
  }
  return { to: file ?? 'stderr', tasks: values.verbose ? true : undefined };
}

export function makeAudit(who: string, values: { 'audit-file'?: string; verbose?: boolean }): Audit {
  return new Audit(who, auditOptions(values));
}

/** Maps an error to an exit code and prints it without a stack unless it is a bug. */
export function reportFatal(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`crew: ${err.message}\nTry 'crew --help'.\n`);
    return ExitCodes.Usage;
  }
  if (err instanceof StartError) {
    process.stderr.write(`crew: ${err.message}\n`);
    return ExitCodes.CannotStart;
  }
  if (err instanceof RemoteError) {
    process.stderr.write(`crew: ${err.stack ?? err.message}\n`);
    return ExitCodes.Failed;
  }
  if (err instanceof CrewError) {
    process.stderr.write(`crew: ${err.message}${hint(err.message)} [${err.code}]\n`);
    const startup: string[] = [
      ErrorCodes.ConnectFailed,
      ErrorCodes.WorkerBusy,
      ErrorCodes.AuthFailed,
      ErrorCodes.InsecureListen,
      ErrorCodes.Secret,
      ErrorCodes.HandshakeTimeout,
      ErrorCodes.NoWorkers,
    ];
    return startup.includes(err.code) ? ExitCodes.CannotStart : ExitCodes.Failed;
  }
  process.stderr.write(`crew: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return ExitCodes.Failed;
}

/** What to do about a port already taken, which Node names only by its code. */
function hint(message: string): string {
  if (/EADDRINUSE/.test(message)) return ': the port is in use by another process; choose another with --port';
  if (/EADDRNOTAVAIL/.test(message)) return ": that address is not one of this machine's; check --host";
  return '';
}
