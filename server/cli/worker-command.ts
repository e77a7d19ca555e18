/**
 * `crew worker`, in a module of its own so that a worker process loads only what a worker
 * needs (see worker-process.ts): local workers start faster without the master, the editor
 * server and esbuild in them.
 */
import { parseArgs } from 'node:util';
import { ErrorCodes, type CrewError } from '../../protocol/errors';
import { forgetSecretEnv, resolveSecret } from '../../protocol/secret';
import { dropEarlyEvalThread } from '../../worker/eval-thread/eval-thread-start';
import { startWorker } from '../../worker/process/worker-main';
import {
  commonOptions,
  ExitCodes,
  hostPortOption,
  intOption,
  makeAudit,
  portOption,
  UsageError,
  type Options,
} from './cli-common';
import { dialTlsFrom, LINK_HELP, linkCliOptions, listenTlsFrom } from './link-options';
import { readSecretLine } from '../launch/ssh-launch';

export const WORKER_HELP = `Usage: crew worker (--port P [--host H] | --connect HOST:PORT | --resource-file F) [options]

  --port P             Listen on port P (0 picks one); the master dials in
  --host H             Address to listen on (default 127.0.0.1; others need a secret)
  --connect HOST:PORT  Dial the master at HOST:PORT, and redial it with backoff
  --resource-file F    Read the master's address from the file it wrote
  --name NAME          Name shown on the master (default host:pid)
  --member ID          Job id to match the master's (from the resource file by default)
  --persist            Keep redialing even after the master shuts down, or refuses this
                       worker (wrong secret, another job); then once a minute. Without it a
                       refused worker says why and exits 3
  --require-signed     Run only signed requests; refuse unsigned, mis-signed or replayed code
  --secret-stdin       Read the secret from the first line of stdin (used by crew launch)
  --exit-with-parent   Exit when stdin closes (used for local workers)
  --eval-heap-mb N     Heap limit of the eval thread; past it the thread restarts, not the worker
  --lifetime-margin S  Inside a Slurm job, leave S seconds before the job's end (default 60): take
                       no more tasks, hand back those not started, finish the one running, exit 0
  --lifetime S         Treat the job as ending S seconds after the worker starts (for tests, or
                       batch systems Crew does not ask)
  --max-sessions N     Masters a listening worker serves at once (default 4), each in a session
                       of its own: its own eval thread, definitions, store, agents and debugger.
                       One more is refused with CREW_WORKER_BUSY; none displaces another
  --secret-file, --audit-file, --verbose, --heartbeat-timeout: see crew --help
${LINK_HELP}`;

/** How long a worker told to stop may spend closing in order before it exits anyway. */
const STOP_DEADLINE_MS = 3000;

/** `parseArgs`, with its errors turned into usage errors. */
function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * The worker's secret, read once. `CREW_SECRET` then leaves the environment, so that user code
 * and the processes it starts do not inherit it; an eval thread started early (see
 * worker-process.ts) took a copy of the environment with it, so it is replaced by a new one.
 */
async function readWorkerSecret(fromStdin: boolean | undefined, secretFile: string | undefined): Promise<Buffer> {
  const secret = fromStdin ? undefined : resolveSecret({ secretFile });
  if (forgetSecretEnv()) dropEarlyEvalThread();
  return secret ?? (await readSecretLine());
}

/** What to do about a master's refusal that redialing cannot cure. */
function refusalAdvice(err: CrewError): string {
  if (err.code === ErrorCodes.VersionMismatch) return 'Run the same version of Crew on both ends';
  return (
    "Give this worker the master's secret (--secret-file or CREW_SECRET) and job (--member or " +
    'its --resource-file); --persist keeps trying once a minute'
  );
}

/** `crew worker`: serve a master, listening (--port) or dialing (--connect, --resource-file). */
export async function workerCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...commonOptions,
    port: { type: 'string' },
    host: { type: 'string' },
    connect: { type: 'string' },
    'resource-file': { type: 'string' },
    name: { type: 'string' },
    member: { type: 'string' },
    persist: { type: 'boolean' },
    'require-signed': { type: 'boolean' },
    'secret-stdin': { type: 'boolean' },
    'exit-with-parent': { type: 'boolean' },
    'eval-heap-mb': { type: 'string' },
    lifetime: { type: 'string' },
    'lifetime-margin': { type: 'string' },
    'max-sessions': { type: 'string' },
    ...linkCliOptions,
  });
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return ExitCodes.Ok;
  }
  const modes = [values.port, values.connect, values['resource-file']].filter((v) => v !== undefined).length;
  if (modes !== 1) throw new UsageError('crew worker needs exactly one of --port, --connect or --resource-file');
  if (values.connect !== undefined) hostPortOption(values.connect, 'connect');
  const port = portOption(values.port);
  const audit = makeAudit(values.name ? `worker ${values.name}` : 'worker', values);
  const secretGiven = values['secret-file'] !== undefined || !!process.env.CREW_SECRET || !!values['secret-stdin'];
  const secret = await readWorkerSecret(values['secret-stdin'], values['secret-file']);
  const handle = await startWorker({
    port,
    host: values.host,
    connect: values.connect,
    resourceFile: values['resource-file'],
    secret,
    secretGiven,
    name: values.name,
    member: values.member,
    persist: values.persist,
    requireSigned: values['require-signed'],
    heartbeatTimeoutMs: intOption(values['heartbeat-timeout'], 'heartbeat-timeout', 100),
    handshakeTimeoutMs: intOption(values['handshake-timeout'], 'handshake-timeout', 100),
    evalHeapMb: intOption(values['eval-heap-mb'], 'eval-heap-mb', 16),
    maxSessions: intOption(values['max-sessions'], 'max-sessions', 1),
    maxFrameBytes: intOption(values['max-frame-bytes'], 'max-frame-bytes', 65536),
    listenTls: listenTlsFrom(values),
    tls: dialTlsFrom(values),
    audit,
    onShutdown: () => process.exit(ExitCodes.Ok),
    onRefused: (err) => {
      process.stderr.write(`crew worker: ${err.message}. ${refusalAdvice(err)} [${err.code}]\n`);
      process.exit(ExitCodes.CannotStart);
    },
    lifetime: {
      lifetimeS: intOption(values.lifetime, 'lifetime', 1),
      marginS: intOption(values['lifetime-margin'], 'lifetime-margin', 0),
    },
    onLeft: () => process.exit(ExitCodes.Ok),
  });
  const stop = (code: number) => {
    // An orderly close waits for the eval thread; one held by a debugger (or stuck in native
    // code) must not keep a worker that was told to stop alive.
    // process.exit itself waits for every thread, so the last resort is the one signal that does not.
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), STOP_DEADLINE_MS).unref();
    void handle.close().then(() => process.exit(code));
  };
  if (values['exit-with-parent']) {
    process.stdin
      .on('end', () => stop(ExitCodes.Ok))
      .on('close', () => stop(ExitCodes.Ok))
      .resume();
  }
  // Ctrl-C at a terminal signals the whole foreground group: a worker its master started
  // leaves that to the master, which interrupts the evaluations and then ends its workers.
  process
    .on('SIGINT', values['exit-with-parent'] ? () => {} : () => stop(ExitCodes.Interrupted))
    .on('SIGTERM', () => stop(ExitCodes.Ok));
  // Said last: whoever waits for this line may signal the worker as soon as it reads it.
  if (handle.port !== undefined)
    process.stdout.write(`crew worker listening on ${values.host ?? '127.0.0.1'}:${handle.port}\n`);
  return new Promise<number>(() => {});
}
