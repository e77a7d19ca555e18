/**
 * Workers as a Slurm job array: one `sbatch --array=0-(N-1)` whose tasks each run
 * `crew worker` dialing the master. Slurm's own machine-readable output is read
 * (`sbatch --parsable`, `squeue -h -o`), never its tables.
 *
 * The secret never reaches anything Slurm keeps or shows: the workers read the user's secret
 * file (mode 0600, on the shared filesystem clusters have) by its path; the job script holds
 * only that path; and `sbatch` runs with `CREW_SECRET` removed from the environment it would
 * otherwise export to the job.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { shellQuote } from './ssh-launch';

/** What to ask Slurm for. */
export interface SlurmOptions {
  /** Array tasks, one worker each. */
  workers: number;
  partition?: string;
  /** Wall time per worker, in minutes. */
  time?: number;
  /** More `sbatch` arguments, passed as they are (e.g. `--account=lab`). */
  sbatchArgs?: string[];
  /** Seconds before its job's end at which each worker leaves (`crew worker --lifetime-margin`, default 60). */
  lifetimeMargin?: number;
}

export interface SlurmLaunchOptions extends SlurmOptions {
  /** Where the workers dial the master, `host:port` as the compute nodes see it. */
  connect: string;
  /** The master's member id: the job is named `crew-<member>`, and workers join this job only. */
  member?: string;
  /** The secret file the workers read; it must be on a filesystem the compute nodes share. */
  secretFile: string;
  /** The command that runs Crew on the nodes (default: this installation's own `crew`). */
  remoteCommand?: string;
  /** Folder for the job script and the workers' logs (must be shared too). */
  logDir: string;
  /** Environment for the Slurm commands (default `process.env`, without `CREW_SECRET`). */
  env?: NodeJS.ProcessEnv;
}

/** One submitted job array. */
export interface SlurmJob {
  jobId: string;
  /** The log file of array task `i`. */
  logFile(i: number): string;
  /** The array's task ids, `<job>_<i>`, as `squeue -r` names them. */
  readonly taskIds: string[];
  /** The array tasks `squeue` still lists, with their state (PENDING, RUNNING, COMPLETING...). */
  tasks(): Promise<{ id: string; state: string }[]>;
  /** Array tasks by state, from `squeue`. */
  states(): Promise<{ pending: number; running: number; other: number }>;
  /** Cancels the whole array and waits until `squeue` no longer lists it. */
  stop(): Promise<void>;
}

/** Runs a Slurm command; its error names the command and what it printed. */
export function slurmCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const why =
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? `${cmd} is not installed here (run this on a Slurm login node)`
          : `${cmd} failed: ${stderr.trim() || err.message}`;
      reject(crewError(ErrorCodes.LaunchFailed, why));
    });
  });
}

/** The environment `sbatch` exports to the job: the user's, without the secret. */
export function jobEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { CREW_SECRET: _secret, ...rest } = env;
  return rest;
}

/** This installation's `crew`, as the nodes would run it from the shared filesystem. */
export function localCrewCommand(): string {
  return `${shellQuote(process.execPath)} ${shellQuote(join(__dirname, 'cli.js'))}`;
}

/** The name of a master's job arrays: its workers join that master only. */
export function slurmJobName(member?: string): string {
  return `crew-${member ?? 'workers'}`;
}

/** The job script: no secret in it, only the path of the file that holds it. */
export function slurmJobScript(opts: SlurmLaunchOptions): string {
  const crew = opts.remoteCommand ?? localCrewCommand();
  const args = ['--connect', opts.connect, '--secret-file', opts.secretFile];
  if (opts.member) args.push('--member', opts.member);
  if (opts.lifetimeMargin !== undefined) args.push('--lifetime-margin', String(opts.lifetimeMargin));
  return [
    '#!/bin/sh',
    '# A Crew worker; Slurm runs one per array task.',
    `exec ${crew} worker ${args.map(shellQuote).join(' ')} ` +
      '--name "slurm-$SLURM_ARRAY_JOB_ID-$SLURM_ARRAY_TASK_ID@$(hostname -s)"',
    '',
  ].join('\n');
}

/**
 * The array tasks of `jobIds` that `squeue` lists (one per line with -r), with their states.
 * Asked by job name, since `-j` fails for a job Slurm has already forgotten; a failing squeue
 * throws, so that a caller never takes "squeue did not answer" for "every task ended".
 */
export async function listedTasks(
  jobName: string,
  jobIds: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ id: string; state: string }[]> {
  const out = await slurmCommand('squeue', ['-h', '-r', `--name=${jobName}`, '-o', '%i %T'], env);
  const mine = new Set(jobIds);
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const [id = '', state = ''] = l.trim().split(/\s+/);
      return { id, state };
    })
    .filter((t) => mine.has(t.id.split('_')[0]!));
}

/** Submits the job array and returns once Slurm has accepted it. */
export async function submitSlurmWorkers(opts: SlurmLaunchOptions): Promise<SlurmJob> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1)
    throw crewError(ErrorCodes.BadArgument, `the Slurm worker count must be a positive integer, got ${opts.workers}`);
  const env = jobEnvironment(opts.env);
  const jobName = slurmJobName(opts.member);
  mkdirSync(opts.logDir, { recursive: true, mode: 0o700 });
  const script = join(opts.logDir, 'crew-worker.sh');
  writeFileSync(script, slurmJobScript(opts), { mode: 0o700 });
  const args = [
    '--parsable',
    `--array=0-${opts.workers - 1}`,
    `--job-name=${jobName}`,
    `--output=${join(opts.logDir, 'crew-%A_%a.log')}`,
  ];
  if (opts.partition) args.push(`--partition=${opts.partition}`);
  if (opts.time !== undefined) args.push(`--time=${opts.time}`);
  args.push(...(opts.sbatchArgs ?? []), script);
  // --parsable prints "jobid" or "jobid;cluster".
  const jobId = (await slurmCommand('sbatch', args, env)).trim().split(';')[0]!;
  if (!/^\d+$/.test(jobId)) throw crewError(ErrorCodes.LaunchFailed, `sbatch did not print a job id: ${jobId}`);
  const listed = () => listedTasks(jobName, [jobId], env).catch(() => []);
  return {
    jobId,
    taskIds: Array.from({ length: opts.workers }, (_, i) => `${jobId}_${i}`),
    logFile: (i) => join(opts.logDir, `crew-${jobId}_${i}.log`),
    tasks: listed,
    async states() {
      const s = (await listed()).map((t) => t.state);
      const pending = s.filter((x) => x === 'PENDING').length;
      const running = s.filter((x) => x === 'RUNNING').length;
      return { pending, running, other: s.length - pending - running };
    },
    async stop() {
      await slurmCommand('scancel', [jobId], env).catch(() => undefined);
      for (let i = 0; i < 100 && (await listed()).length > 0; i++) await new Promise((r) => setTimeout(r, 200));
    },
  };
}
