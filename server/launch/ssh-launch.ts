/**
 * Starting workers on other machines with the tools already there: `ssh`. Each worker
 * dials the master. The secret travels over the ssh channel, as the first line of the
 * remote worker's stdin: never as an argument (other users can read arguments in `ps`) and
 * never in the environment. The channel stays open, and the remote worker exits when it
 * closes, so stopping the launcher stops its workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseHostPort } from '../../protocol/address';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { stopChild } from './child-stop';
import { BOOTSTRAP_LINE, bootstrapScript, remoteBundle, type RemoteBundle } from './remote-bootstrap';

export interface LaunchOptions {
  /** Hosts to start workers on, as ssh names them (`host`, `user@host`, an ssh config alias). */
  hosts: string[];
  /** Where the workers dial the master: `host:port`, as seen from those hosts. */
  connect: string;
  /** The master's member id (from its resource file), so the workers join this job only. */
  member?: string;
  secret: Buffer;
  /** Workers per host (default 1). */
  perHost?: number;
  /**
   * The command that runs Crew on the remote hosts. By default `crew` where it is on the
   * PATH, and elsewhere this master's one-file worker, sent over ssh (remote-bootstrap.ts).
   */
  remoteCommand?: string;
  /** Where hosts without Crew keep the one-file worker (default `~/.cache/crew` there). */
  remoteCacheDir?: string;
  /** The ssh program (default `ssh`). */
  sshCommand?: string;
  /** The ssh options before the host; they replace the defaults, `DEFAULT_SSH_ARGS`. */
  sshArgs?: string[];
  /** Extra `crew worker` options, e.g. `['--tls']`. */
  workerArgs?: string[];
  /** Each line the ssh sessions print, with the host it came from. */
  onLine?: (host: string, line: string) => void;
  /** Called when an ssh session ends. */
  onExit?: (host: string, code: number | null, signal: string | null) => void;
}

export interface LaunchedWorker {
  host: string;
  name: string;
  process: ChildProcess;
}

/**
 * The ssh options used unless `sshArgs` says otherwise: no terminal (the secret line must not
 * be echoed), and no password prompt, which nobody would see.
 */
export const DEFAULT_SSH_ARGS: readonly string[] = ['-T', '-o', 'BatchMode=yes'];

/** Quotes a word for the remote shell, which is how ssh runs its command. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The remote command line of one worker. The secret is not in it. */
export function remoteWorkerCommand(opts: LaunchOptions, name: string, bundle?: RemoteBundle): string {
  const words = ['--connect', opts.connect, '--name', name, '--secret-stdin', '--exit-with-parent'];
  if (opts.member) words.push('--member', opts.member);
  words.push(...(opts.workerArgs ?? []));
  const args = words.map(shellQuote).join(' ');
  if (bundle && opts.remoteCommand === undefined) return bootstrapScript(bundle, args, opts.remoteCacheDir);
  return `${opts.remoteCommand ?? 'crew'} worker ${args}`;
}

/**
 * Starts `perHost` workers on each host over ssh and returns once the ssh processes are
 * running (the workers then join the master on their own). Fails at once, naming the cause,
 * if the ssh program cannot be started.
 */
export async function launchWorkers(
  opts: LaunchOptions,
): Promise<{ workers: LaunchedWorker[]; close(): Promise<void> }> {
  const hosts = opts.hosts.map((h) => h.trim()).filter(Boolean);
  if (hosts.length === 0)
    throw crewError(ErrorCodes.BadArgument, 'no hosts to launch workers on: give --ssh host1,host2');
  for (const h of hosts) if (h.startsWith('-')) throw crewError(ErrorCodes.BadArgument, `"${h}" is not a host name`);
  parseHostPort(opts.connect);
  const perHost = opts.perHost ?? 1;
  if (!Number.isInteger(perHost) || perHost < 1)
    throw crewError(ErrorCodes.BadArgument, `workers per host must be a whole number >= 1, got ${perHost}`);
  const env = { ...process.env };
  delete env.CREW_SECRET;
  const bundle = opts.remoteCommand === undefined ? remoteBundle() : undefined;
  const workers: LaunchedWorker[] = [];
  for (const host of hosts) {
    for (let i = 1; i <= perHost; i++) {
      const name = `${host.replace(/^.*@/, '')}-${i}`;
      const child = spawn(
        opts.sshCommand ?? 'ssh',
        [...(opts.sshArgs ?? DEFAULT_SSH_ARGS), host, remoteWorkerCommand(opts, name, bundle)],
        { stdio: ['pipe', 'pipe', 'pipe'], env },
      );
      workers.push({ host, name, process: child });
    }
  }
  await Promise.all(workers.map((w) => started(w.process, opts.sshCommand ?? 'ssh')));
  for (const w of workers) {
    const stdin = w.process.stdin!;
    stdin.on('error', () => {});
    const sendSecret = () => stdin.write(`${opts.secret.toString('utf8')}\n`);
    // Without the bootstrap the worker reads its secret at once; with it, once it says it is ready.
    if (!bundle) sendSecret();
    for (const stream of [w.process.stdout!, w.process.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8').on('data', (text: string) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const asked = stream === w.process.stdout && bundle ? BOOTSTRAP_LINE.exec(line)?.[1] : undefined;
          if (asked === 'need') {
            opts.onLine?.(
              w.name,
              `sending Crew's worker (${Math.round(bundle!.bytes.length / 1024)} KiB): no crew there`,
            );
            stdin.write(bundle!.bytes);
          } else if (asked) sendSecret();
          else opts.onLine?.(w.name, line);
        }
      });
    }
    w.process.on('exit', (code, signal) => opts.onExit?.(w.name, code, signal));
  }
  return {
    workers,
    // Closing the channel's stdin makes each remote worker exit (--exit-with-parent); the
    // network gets 5 s for that before the ssh command itself is ended.
    close: () => Promise.all(workers.map((w) => stopChild(w.process, 'SIGTERM', 5000))).then(() => undefined),
  };
}

function started(child: ChildProcess, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(crewError(ErrorCodes.ConnectFailed, `cannot run the ssh command "${command}": ${err.message}`)),
    );
  });
}

/** Reads the secret as the first line of stdin (`crew worker --secret-stdin`). */
export function readSecretLine(stream: NodeJS.ReadableStream = process.stdin, timeoutMs = 30_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.pause();
      if (err) return reject(err);
      const secret = Buffer.from(text.slice(0, text.indexOf('\n')).replace(/\r$/, '').trim());
      if (secret.length < 16)
        return reject(crewError(ErrorCodes.Secret, `the secret from stdin is ${secret.length} bytes; use at least 16`));
      resolve(secret);
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('\n')) done();
      else if (text.length > 4096)
        done(crewError(ErrorCodes.Secret, 'the first line of stdin is too long to be a secret'));
    };
    const onEnd = () => done(crewError(ErrorCodes.Secret, 'stdin ended before a secret line arrived (--secret-stdin)'));
    const timer = setTimeout(
      () => done(crewError(ErrorCodes.Secret, `no secret arrived on stdin within ${timeoutMs} ms (--secret-stdin)`)),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.resume();
  });
}
