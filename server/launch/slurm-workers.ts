/**
 * A pool's own Slurm workers (`startMaster({ slurm })`, `crew master --slurm N`): the job array
 * is submitted once the master listens, workers join as Slurm starts them, the job ends with
 * the pool, and workers that do not arrive are diagnosed in words.
 */
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { isLoopback } from '../../protocol/address';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { defaultSecretFile } from '../../protocol/secret';
import { submitSlurmWorkers, type SlurmJob, type SlurmOptions } from './slurm-launch';
import { slurmFleet, type SlurmFleet } from './slurm-keep';

/** How often a kept pool's job arrays are read from squeue. */
const KEEP_EVERY_MS = 2000;

/** `startMaster({ slurm })`'s options. */
export interface SlurmPoolOptions extends SlurmOptions {
  /** The address compute nodes dial (default: the master's listening host and port). */
  connect?: string;
  /** How the nodes run Crew (default: this installation). */
  remoteCommand?: string;
  /** Folder for the job script and worker logs, on a shared filesystem (default under ~/.local/state/crew). */
  logDir?: string;
  /** How long workers may take to arrive before the diagnosis is given (default 60 s). */
  arrivalTimeoutMs?: number;
  /** Where notices for the user go: the job id and log folder, and the diagnosis (default: the audit trail only). */
  onNotice?: (text: string) => void;
  /** Keep `workers` workers: an array task that ends before the pool does is replaced. */
  keep?: boolean;
}

/** What the Slurm launcher needs of a pool. */
export interface SlurmPool {
  readonly size: number;
  readonly closed: boolean;
  onClose(f: () => void | Promise<void>): void;
  audit: { log(event: string, fields: Record<string, unknown>): void };
  /** While this says workers are on their way, calls wait for them past the no-worker grace. */
  workersComing?: () => Promise<boolean>;
}

/** Where the pool listens, and how workers prove themselves. */
export interface SlurmPoolContext {
  listenHost: string;
  port: number;
  member: string;
  /** The secret file workers read; a secret given only as a value or in CREW_SECRET cannot reach a job. */
  secretFile?: string;
  secretGivenInline: boolean;
}

/** The folder for one job's script and logs, on the (shared) home filesystem. */
export function defaultSlurmLogDir(member: string): string {
  return join(homedir(), '.local', 'state', 'crew', 'slurm', member);
}

/** The secret file Slurm workers will read, or a clear error when there is none to give them. */
export function slurmSecretFile(ctx: Pick<SlurmPoolContext, 'secretFile' | 'secretGivenInline'>): string {
  if (ctx.secretFile) return ctx.secretFile;
  if (ctx.secretGivenInline)
    throw crewError(
      ErrorCodes.BadArgument,
      'Slurm workers read the secret from a file on the shared filesystem, never from the job: ' +
        'give --secret-file (or secretFile) instead of CREW_SECRET or an inline secret',
    );
  return defaultSecretFile();
}

/** Submits the pool's workers; the job is cancelled when the pool closes. */
export async function startSlurmWorkers(
  pool: SlurmPool,
  opts: SlurmPoolOptions,
  ctx: SlurmPoolContext,
): Promise<SlurmJob> {
  // A master listening on every address is dialed by this machine's name.
  const wildcard = ctx.listenHost === '0.0.0.0' || ctx.listenHost === '::';
  const connect = opts.connect ?? `${wildcard ? hostname() : ctx.listenHost}:${ctx.port}`;
  const logDir = opts.logDir ?? defaultSlurmLogDir(ctx.member);
  const launch = { ...opts, connect, member: ctx.member, secretFile: slurmSecretFile(ctx), logDir };
  const job = await submitSlurmWorkers(launch);
  const notice = (text: string) => {
    pool.audit.log('slurm', { job: job.jobId, notice: text });
    opts.onNotice?.(text);
  };
  notice(`submitted Slurm job ${job.jobId} (${opts.workers} workers); their logs: ${job.logFile(0)} and so on`);
  const fleet = slurmFleet(job, launch, !!opts.keep, notice);
  pool.onClose(() => fleet.stop());
  if (opts.keep) {
    const keeper = setInterval(() => void fleet.check(), KEEP_EVERY_MS);
    keeper.unref();
    pool.onClose(() => clearInterval(keeper));
  }
  pool.workersComing = arrivals(fleet, opts.arrivalTimeoutMs ?? 60_000);
  const timer = setTimeout(() => {
    if (pool.closed || pool.size >= opts.workers) return;
    void slurmDiagnosis(job, { expected: opts.workers, joined: pool.size, connect, listenHost: ctx.listenHost }).then(
      notice,
    );
  }, opts.arrivalTimeoutMs ?? 60_000);
  timer.unref();
  pool.onClose(() => clearTimeout(timer));
  return job;
}

/**
 * Whether workers are on their way: an array task is pending (a queue wait can be long), or
 * was first seen running less than `arrivalMs` ago, so its worker may still be starting.
 */
function arrivals(fleet: SlurmFleet, arrivalMs: number): () => Promise<boolean> {
  const runningSince = new Map<string, number>();
  return async () => {
    const tasks = await fleet.tasks().catch(() => []);
    const now = Date.now();
    let coming = false;
    for (const t of tasks) {
      if (t.state === 'PENDING' || t.state === 'CONFIGURING') coming = true;
      if (t.state !== 'RUNNING') continue;
      const since = runningSince.get(t.id) ?? now;
      runningSince.set(t.id, since);
      if (now - since < arrivalMs) coming = true;
    }
    return coming;
  };
}

/** Says in words why Slurm workers have not arrived: what squeue says, what they dial, their log. */
export async function slurmDiagnosis(
  job: SlurmJob,
  seen: { expected: number; joined?: number; connect: string; listenHost?: string; waitedMs?: number },
): Promise<string> {
  const s = await job.states();
  const lines = [
    seen.joined === undefined
      ? `Slurm job ${job.jobId}: ${s.pending} pending and ${s.running} running of ${seen.expected} workers`
      : `${seen.expected - seen.joined} of ${seen.expected} Slurm workers have not joined` +
        ` (job ${job.jobId}: ${s.pending} pending, ${s.running} running in squeue)`,
    `They were told to dial ${seen.connect}.`,
  ];
  const host = seen.listenHost ?? seen.connect.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (isLoopback(host))
    lines.push(
      `The master listens only on ${host}, which compute nodes cannot reach: ` +
        'start it with --host 0.0.0.0 (and a secret file they can read).',
    );
  if (s.pending > 0 && s.running === 0)
    lines.push('Slurm has not started them yet: see `squeue -j ' + job.jobId + '`.');
  const log = job.logFile(0);
  let tail: string;
  try {
    tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-5).join('\n    ');
  } catch {
    tail = '(not written yet)';
  }
  lines.push(`First worker's log, ${log}:\n    ${tail}`);
  return lines.join('\n');
}
