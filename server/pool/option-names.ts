/**
 * The names of the options `startMaster` and `connectWorkers` take, so that a misspelt or
 * invented one (`auditFile: 'none'`) is refused by name instead of being silently ignored.
 * Each table is checked against its options type by the compiler (`satisfies`): a new option
 * that is not listed here does not compile.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { ConnectOptions } from './dial-worker';
import type { MasterOptions } from './master-options';

const CONNECT = {
  audit: true,
  onOutput: true,
  heartbeatTimeoutMs: true,
  maxTaskWorkerKills: true,
  noWorkerGraceMs: true,
  maxQueuedTasks: true,
  taskGroup: true,
  resultGroup: true,
  sign: true,
  maxFrameBytes: true,
  secret: true,
  secretFile: true,
  member: true,
  redial: true,
  tls: true,
  handshakeTimeoutMs: true,
} as const satisfies Record<keyof ConnectOptions, true>;

const MASTER = {
  ...CONNECT,
  port: true,
  host: true,
  local: true,
  resourceFile: true,
  workers: true,
  startTimeoutMs: true,
  listenTls: true,
  localWorkerArgs: true,
  slurm: true,
} as const satisfies Record<keyof MasterOptions, true>;

/** Refuses an options object with a name `fn` does not take, suggesting the nearest one. */
export function checkOptionNames(fn: 'startMaster' | 'connectWorkers', opts: object | undefined): void {
  if (opts === undefined || opts === null) return;
  if (typeof opts !== 'object')
    throw crewError(ErrorCodes.BadArgument, `${fn} takes an options object, got ${typeof opts}`);
  const known: Record<string, true> = fn === 'startMaster' ? MASTER : CONNECT;
  for (const name of Object.keys(opts)) {
    if (name in known) continue;
    const near = Object.keys(known).find((k) => k.toLowerCase().startsWith(name.toLowerCase().slice(0, 4)));
    throw crewError(
      ErrorCodes.BadArgument,
      `${fn} has no option ${JSON.stringify(name)}${near ? `: did you mean ${near}?` : ''} ` +
        `(its options: ${Object.keys(known).join(', ')})`,
    );
  }
}
