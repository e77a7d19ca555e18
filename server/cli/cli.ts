/** The `crew` command: worker, master, run and lsp. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  auditOptions,
  commonOptions,
  ExitCodes,
  hostPortOption,
  intOption,
  portOption,
  reportFatal,
  UsageError,
  type Options,
} from './cli-common';
import { workerCommand } from './worker-command';
import { startMaster } from '../pool/connect';
import { workerOutputText } from '../pool/pool-options';
import { launchCommand } from './launch-command';
import { dialTlsFrom, LINK_HELP, linkCliOptions, listenTlsFrom } from './link-options';
import { PromptLines } from './prompt-lines';
import { startRepl } from './repl';
import { lspCommand } from '../lsp/lsp-command';
import { runCommand } from './run-command';

const HELP = `crew: distributed, interactive evaluation for TypeScript and JavaScript

Usage:
  crew master [--local N] [--workers h:p,...] [--port P] [--host H] [--resource-file F]
      Start a master and open a REPL. The pool and the whole API are in scope, and
      top-level await works. With no option it starts 2 local workers.
  crew worker (--port P [--host H] | --connect HOST:PORT | --resource-file F)
      Start a worker that listens for a master (--port), or dials one (--connect,
      --resource-file). A dialing worker reconnects with backoff when its master goes away.
  crew launch (--ssh host1,host2 | --slurm N) (--connect HOST:PORT | --resource-file F)
      Start workers on other machines over ssh, or as a Slurm job array; they dial the
      master. The secret goes over the ssh channel or the shared filesystem, never as an argument.
  crew run SCRIPT.ts [--local N] [--workers h:p,...] [-- ARGS]
      Run a driver script against a pool. The pool and the API are globals, a default
      exported function is called with the pool, and ARGS are its process.argv.slice(2).
      Exits 3 if none of the workers asked for connects (--allow-no-workers runs it anyway).
  crew lsp (--stdio | --port P) [--local N] [--workers h:p,...]
      Serve the master to an editor over the Language Server Protocol (the VS Code
      extension starts this itself). Over TCP, editors authenticate with the secret.

Common options:
  --secret-file F        Shared secret (else CREW_SECRET, else ~/.config/crew/secret,
                         which is created with mode 0600 on first use)
  --audit-file F         Write the audit trail ([A] lines) to F instead of stderr; "none" drops it
  -v, --verbose          Also record each batch of tasks and results in the audit trail
  --heartbeat-timeout MS A silent peer is dropped after MS milliseconds (default 10000)
  -h, --help             Help for a command: crew master --help

Exit codes:
  0  success
  1  the script or command failed
  2  bad usage
  3  could not start: cannot listen, connect, authenticate, read the secret or open the audit file
  130  interrupted by Ctrl-C (crew run interrupts the workers' evaluations first)
`;

const MASTER_HELP = `Usage: crew master [options]

  --local N            Start N local worker processes (default 2 when no --workers)
  --workers h:p,...    Dial these listening workers
  --port P             Listen for workers that dial in on port P (default: any free port)
  --host H             Address to listen on (default 127.0.0.1; others need a secret)
  --resource-file F    Write where to dial (host, port, member id) to F for workers
  --task-group N       Send tasks to a worker N to a frame (CL-MW); default: sized from task cost
  --result-group N     Workers return results N to a frame, or fewer when they run out of work
  --sign               Sign every request, and start local workers with --require-signed
                       (workers with --require-signed are signed for in any case)
  --progress           Show a progress bar for long runs of work (default: when stderr is a terminal)
  --slurm N            Submit N workers as a Slurm job array; they dial this master (use --host
                       0.0.0.0 so compute nodes can reach it). With it: --partition P,
                       --time MINUTES, --sbatch-arg ARG (repeatable), --log-dir D,
                       --remote-command CMD, --arrival-timeout S, --keep, --lifetime-margin S
                       (see crew launch --help). Calls made before the workers arrive wait for
                       them while squeue shows them pending or starting
  --secret-file, --audit-file, --verbose, --heartbeat-timeout: see crew --help
${LINK_HELP}`;

const masterOptions = {
  ...commonOptions,
  local: { type: 'string' },
  'task-group': { type: 'string' },
  'result-group': { type: 'string' },
  sign: { type: 'boolean' },
  progress: { type: 'boolean' },
  workers: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'resource-file': { type: 'string' },
  slurm: { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  'sbatch-arg': { type: 'string', multiple: true },
  'log-dir': { type: 'string' },
  'remote-command': { type: 'string' },
  'arrival-timeout': { type: 'string' },
  keep: { type: 'boolean' },
  'lifetime-margin': { type: 'string' },
  ...linkCliOptions,
} as const;

/** `parseArgs`, with its errors turned into usage errors. */
function parse<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return command === undefined ? ExitCodes.Usage : ExitCodes.Ok;
    case '--version':
    case '-V':
      process.stdout.write(
        `${(JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version}\n`,
      );
      return ExitCodes.Ok;
    case 'worker':
      return workerCommand(rest);
    case 'master':
      return master(rest);
    case 'launch':
      return launchCommand(rest);
    case 'run':
      return run(rest);
    case 'lsp':
      return lspCommand(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function poolOptions(
  values: {
    local?: string;
    workers?: string;
    port?: string;
    host?: string;
    'resource-file'?: string;
    'secret-file'?: string;
    'audit-file'?: string;
    verbose?: boolean;
    'heartbeat-timeout'?: string;
    'handshake-timeout'?: string;
    'max-frame-bytes'?: string;
    'tls-cert'?: string;
    'tls-key'?: string;
    'tls-ca'?: string;
    tls?: boolean;
    'no-tls'?: boolean;
    slurm?: string;
    partition?: string;
    time?: string;
    'sbatch-arg'?: string[];
    'log-dir'?: string;
    'remote-command'?: string;
    'arrival-timeout'?: string;
    keep?: boolean;
    'lifetime-margin'?: string;
  },
  defaultLocal: number,
) {
  const workers = values.workers
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((w) => hostPortOption(w, 'workers'));
  return {
    local: intOption(values.local, 'local') ?? (workers?.length || values.slurm ? 0 : defaultLocal),
    slurm: slurmOptions(values),
    workers,
    port: portOption(values.port),
    host: values.host,
    resourceFile: values['resource-file'],
    secretFile: values['secret-file'],
    heartbeatTimeoutMs: intOption(values['heartbeat-timeout'], 'heartbeat-timeout', 100),
    handshakeTimeoutMs: intOption(values['handshake-timeout'], 'handshake-timeout', 100),
    maxFrameBytes: intOption(values['max-frame-bytes'], 'max-frame-bytes', 65536),
    listenTls: listenTlsFrom(values),
    tls: dialTlsFrom(values),
    audit: auditOptions(values),
  };
}

/** `--slurm N` and its companions, as startMaster's `slurm` option. */
function slurmOptions(values: Parameters<typeof poolOptions>[0]) {
  if (values.slurm === undefined) {
    if (values.keep || values['lifetime-margin'] !== undefined)
      throw new UsageError('--keep and --lifetime-margin are for Slurm workers: give --slurm N too');
    return undefined;
  }
  const arrival = intOption(values['arrival-timeout'], 'arrival-timeout', 1);
  return {
    workers: intOption(values.slurm, 'slurm', 1)!,
    partition: values.partition,
    time: intOption(values.time, 'time', 1),
    sbatchArgs: values['sbatch-arg'],
    logDir: values['log-dir'],
    remoteCommand: values['remote-command'],
    arrivalTimeoutMs: arrival === undefined ? undefined : arrival * 1000,
    keep: values.keep,
    lifetimeMargin: intOption(values['lifetime-margin'], 'lifetime-margin', 0),
    onNotice: (text: string) => process.stderr.write(`crew: ${text}\n`),
  };
}

/** CL-MW's task and result grouping, and dist-emacs's signing. */
function seedOptions(values: { 'task-group'?: string; 'result-group'?: string; sign?: boolean }) {
  const grouping = {
    taskGroup: intOption(values['task-group'], 'task-group', 1),
    resultGroup: intOption(values['result-group'], 'result-group', 1),
  };
  // Signing is pointless if the workers would run unsigned code too: local ones insist.
  return values.sign ? { ...grouping, sign: true, localWorkerArgs: ['--require-signed'] } : grouping;
}

async function master(args: string[]): Promise<number> {
  const { values } = parse(args, masterOptions);
  if (values.help) return help(MASTER_HELP);
  const lines = new PromptLines();
  const options = poolOptions(values, 2);
  const pool = await startMaster({
    ...options,
    ...seedOptions(values),
    // Whatever comes while the REPL waits at its prompt is written above the prompt.
    audit:
      options.audit.to === 'stderr'
        ? { ...options.audit, to: (line) => lines.write('stderr', `${line}\n`) }
        : options.audit,
    slurm: options.slurm && { ...options.slurm, onNotice: (text) => lines.write('stderr', `crew: ${text}\n`) },
    onOutput: (worker, stream, text) => lines.write(stream, workerOutputText(worker, text)),
  });
  await startRepl(pool, { progress: values.progress || process.stderr.isTTY, lines });
  return ExitCodes.Ok;
}

const runOptions = {
  ...masterOptions,
  'allow-no-workers': { type: 'boolean' },
} as const;

async function run(args: string[]): Promise<number> {
  // What follows `--` is the script's own.
  const dash = args.indexOf('--');
  const { values, positionals } = parse(dash < 0 ? args : args.slice(0, dash), runOptions, true);
  if (values.help)
    return help(
      'Usage: crew run SCRIPT [--local N] [--workers h:p,...] [master options] [-- ARGS]\n\n' +
        '  --allow-no-workers   Run the script even if none of the workers asked for connects\n' +
        '                       (its calls then evaluate on the master; without it, exit 3)\n' +
        MASTER_HELP.split('\n').slice(2).join('\n'),
    );
  if (positionals.length !== 1)
    throw new UsageError('crew run needs exactly one script; its own arguments go after --');
  return runCommand(
    positionals[0],
    {
      args: dash < 0 ? [] : args.slice(dash + 1),
      allowNoWorkers: values['allow-no-workers'],
      progress: values.progress || process.stderr.isTTY,
    },
    () => startMaster({ ...poolOptions(values, 2), ...seedOptions(values) }),
  );
}

function help(text: string): number {
  process.stdout.write(text);
  return ExitCodes.Ok;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => process.exit(reportFatal(err)),
);
