/**
 * `crew launch`: workers on other machines, started by what clusters already run (ssh, or
 * Slurm's sbatch). It stays in the foreground while they run; Ctrl-C or SIGTERM stops them.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isLoopback, parseHostPort } from '../../protocol/address';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { resolveSecret } from '../../protocol/secret';
import { readResourceFile } from '../../worker/process/worker-main';
import { DEFAULT_SSH_ARGS, launchWorkers } from '../launch/ssh-launch';
import { submitSlurmWorkers } from '../launch/slurm-launch';
import { slurmFleet } from '../launch/slurm-keep';
import { defaultSlurmLogDir, slurmDiagnosis, slurmSecretFile } from '../launch/slurm-workers';
import { ExitCodes, hostPortOption, intOption, UsageError } from './cli-common';

export const LAUNCH_HELP =
  'Usage: crew launch (--ssh h1,h2 | --slurm N) ' +
  `(--connect HOST:PORT | --resource-file F) [options]

Starts workers on other machines; each dials the master. The secret never travels in
arguments, environments or job scripts. The workers stop when this command stops (Ctrl-C,
SIGTERM), or when their master ends the job.

  --ssh h1,h2,...        Hosts, as ssh names them (user@host, aliases from ~/.ssh/config); the
                         secret goes over the ssh channel (the worker's stdin)
  --slurm N              Submit N workers as one Slurm job array (sbatch); they read the secret
                         file from the shared filesystem
  --connect HOST:PORT    Where the workers dial the master, as seen from those hosts
  --resource-file F      Read the master's address and member id from its resource file
  --member ID            Job id to match the master's (default: from the resource file)
  --remote-command CMD   How to run Crew there (default over ssh: "crew" where it is on the PATH, else
                         this master's one-file worker, sent over ssh and kept by hash; on Slurm:
                         this installation)
  --secret-file F        The shared secret (else CREW_SECRET for ssh, else ~/.config/crew/secret)

ssh:
  --per-host N           Workers per host (default 1)
  --remote-cache D       Where hosts without Crew keep its one-file worker (default ~/.cache/crew)
  --ssh-command PROG     The ssh program to run (default "ssh")
  --ssh-config F         ssh's config file (ssh -F F), e.g. for host aliases, ports and keys
  --ssh-arg ARG          One more ssh option, after -T -o BatchMode=yes, with its value in the
                         same word: --ssh-arg=-p2222, --ssh-arg=-oProxyJump=gw (repeatable)

Slurm:
  --partition P          Partition to submit to
  --time MINUTES         Wall time per worker
  --sbatch-arg ARG       One more sbatch argument, e.g. --sbatch-arg=--account=lab (repeatable)
  --log-dir D            Job script and worker logs (default ~/.local/state/crew/slurm/<member>)
  --arrival-timeout S    After S seconds, report the job's state and the first log (default 60)
  --keep                 Keep N workers: whenever an array task ends before the master does (its
                         time ran out, it was cancelled, its node failed), submit a replacement
  --lifetime-margin S    Each worker leaves S seconds before its job's end (default 60), handing
                         back the tasks it has not started; give --time more than that
`;

const options = {
  ssh: { type: 'string' },
  slurm: { type: 'string' },
  connect: { type: 'string' },
  'resource-file': { type: 'string' },
  member: { type: 'string' },
  'per-host': { type: 'string' },
  'remote-command': { type: 'string' },
  'remote-cache': { type: 'string' },
  'ssh-command': { type: 'string' },
  'ssh-config': { type: 'string' },
  'ssh-arg': { type: 'string', multiple: true },
  'secret-file': { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  'sbatch-arg': { type: 'string', multiple: true },
  'log-dir': { type: 'string' },
  'arrival-timeout': { type: 'string' },
  keep: { type: 'boolean' },
  'lifetime-margin': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; strict: true }>>['values'];

/** `crew launch`: runs until every worker has ended, or until interrupted. */
export async function launchCommand(args: string[]): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({ args, strict: true, options }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(LAUNCH_HELP);
    return ExitCodes.Ok;
  }
  if ((values.ssh === undefined) === (values.slurm === undefined))
    throw new UsageError('crew launch needs --ssh host1,host2 or --slurm N (exactly one of them)');
  if (values.ssh !== undefined && (values.keep || values['lifetime-margin'] !== undefined))
    throw new UsageError('--keep and --lifetime-margin are for Slurm workers (--slurm N), not --ssh');
  if ((values.connect === undefined) === (values['resource-file'] === undefined))
    throw new UsageError('crew launch needs exactly one of --connect or --resource-file');
  const target = values.connect
    ? { ...parseHostPort(hostPortOption(values.connect, 'connect')), member: values.member }
    : readResourceFile(values['resource-file']!);
  const connect = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const member = values.member ?? target.member;
  return values.ssh !== undefined ? viaSsh(values, values.ssh, connect, member) : viaSlurm(values, connect, member);
}

async function viaSsh(values: Values, sshHosts: string, connect: string, member?: string): Promise<number> {
  const hosts = sshHosts.split(',');
  const host = connect.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (isLoopback(host) && hosts.some((h) => !/^(.*@)?(localhost|127\.0\.0\.1)$/.test(h.trim()))) {
    const fix =
      values.connect !== undefined
        ? `give --connect the master's address as those hosts reach it`
        : `start the master with --host and a secret, so that its resource file names an address they reach`;
    process.stderr.write(
      `crew launch: warning: the workers would dial ${host}, a loopback address, which other hosts cannot reach; ` +
        `${fix}\n`,
    );
  }
  const launched = await launchWorkers({
    hosts,
    connect,
    member,
    secret: resolveSecret({ secretFile: values['secret-file'] }),
    perHost: intOption(values['per-host'], 'per-host', 1),
    remoteCommand: values['remote-command'],
    remoteCacheDir: values['remote-cache'],
    sshCommand: values['ssh-command'],
    sshArgs: sshArgs(values),
    onLine: (name, line) => process.stdout.write(`[${name}] ${line}\n`),
    onExit: (name, code, signal) => process.stderr.write(`crew launch: ${name}: ${sshEnded(code, signal)}\n`),
  });
  const n = launched.workers.length;
  // ssh has started, not the workers: each says so itself, or ssh says why it could not.
  process.stderr.write(
    `crew launch: starting ${n} worker${n === 1 ? '' : 's'} on ${hosts.length} host${hosts.length === 1 ? '' : 's'} ` +
      `over ssh; they join the master at ${connect}\n`,
  );
  let stoppedBy: number | undefined;
  const codes = await new Promise<(number | null)[]>((resolve) => {
    // The workers' exits may be seen before close() resolves: the signal decides the code.
    const stop = (code: number) => {
      stoppedBy = code;
      void launched.close().then(() => resolve([code]));
    };
    process.once('SIGINT', () => stop(ExitCodes.Interrupted)).once('SIGTERM', () => stop(ExitCodes.Ok));
    void Promise.all(
      launched.workers.map(
        (w) =>
          new Promise<number | null>((r) =>
            w.process.exitCode !== null ? r(w.process.exitCode) : w.process.once('exit', (code) => r(code)),
          ),
      ),
    ).then(resolve);
  });
  if (stoppedBy !== undefined) return stoppedBy;
  return codes.every((c) => c === 0) ? ExitCodes.Ok : ExitCodes.Failed;
}

/** Why an ssh session ended, in words: ssh itself exits 255 when it cannot log in. */
function sshEnded(code: number | null, signal: string | null): string {
  if (signal) return `ssh session ended (${signal})`;
  if (code === 255) return 'ssh could not run the worker there (exit 255; its message is above)';
  return `ssh session ended (exit ${code})`;
}

/** ssh's options: the defaults, then --ssh-config and each --ssh-arg. */
function sshArgs(values: Values): string[] {
  const config = values['ssh-config'];
  if (config !== undefined) {
    try {
      readFileSync(config);
    } catch (err) {
      throw crewError(ErrorCodes.BadArgument, `cannot read the ssh config file ${config}: ${(err as Error).message}`);
    }
  }
  // A word without a dash would be taken by ssh for the host, so an option and its value
  // come as one word (-p2222, -oProxyJump=gw), which ssh reads as it reads two.
  for (const arg of values['ssh-arg'] ?? [])
    if (!arg.startsWith('-'))
      throw new UsageError(
        `--ssh-arg "${arg}" is not an ssh option; give an option and its value as one word, e.g. --ssh-arg=-p2222`,
      );
  return [...DEFAULT_SSH_ARGS, ...(config !== undefined ? ['-F', config] : []), ...(values['ssh-arg'] ?? [])];
}

async function viaSlurm(values: Values, connect: string, member?: string): Promise<number> {
  const workers = intOption(values.slurm, 'slurm', 1)!;
  const lifetimeMargin = intOption(values['lifetime-margin'], 'lifetime-margin', 0);
  const secretFile = slurmSecretFile({
    secretFile: values['secret-file'],
    secretGivenInline: !values['secret-file'] && !!process.env.CREW_SECRET,
  });
  resolveSecret({ secretFile }); // fails now, naming the file, rather than on every node
  const logDir = values['log-dir'] ?? defaultSlurmLogDir(member ?? `launch-${process.pid}`);
  const launchOpts = {
    workers,
    partition: values.partition,
    time: intOption(values.time, 'time', 1),
    sbatchArgs: values['sbatch-arg'],
    lifetimeMargin,
    connect,
    member,
    secretFile,
    remoteCommand: values['remote-command'],
    logDir,
  };
  const job = await submitSlurmWorkers(launchOpts);
  process.stderr.write(
    `crew launch: submitted Slurm job ${job.jobId}: ${workers} worker${workers === 1 ? '' : 's'} dialing ${connect}\n` +
      `crew launch: worker logs: ${job.logFile(0)} ... ${job.logFile(workers - 1)}\n`,
  );
  const fleet = slurmFleet(job, launchOpts, !!values.keep, (text) => process.stderr.write(`crew launch: ${text}\n`));
  const arrivalMs = (intOption(values['arrival-timeout'], 'arrival-timeout', 1) ?? 60) * 1000;
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    const ids = fleet.jobs.map((j) => j.jobId).join(', ');
    process.stderr.write(`crew launch: cancelling Slurm job${fleet.jobs.length === 1 ? '' : 's'} ${ids}\n`);
    void fleet.stop().then(() => process.exit(code));
  };
  process.once('SIGINT', () => stop(ExitCodes.Interrupted)).once('SIGTERM', () => stop(ExitCodes.Ok));
  const started = Date.now();
  let reported = false;
  // Slurm tells nobody when a job ends: its queue is read every few seconds.
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    if (stopping) return new Promise<number>(() => {});
    const left = await fleet.check();
    if (stopping) return new Promise<number>(() => {});
    if (left === 0) {
      const ids = fleet.jobs.map((j) => j.jobId).join(', ');
      process.stderr.write(`crew launch: Slurm job${fleet.jobs.length === 1 ? '' : 's'} ${ids} ended\n`);
      return ExitCodes.Ok;
    }
    if (!reported && Date.now() - started >= arrivalMs) {
      reported = true;
      process.stderr.write(`crew launch: ${await slurmDiagnosis(job, { expected: workers, connect })}\n`);
    }
  }
}
