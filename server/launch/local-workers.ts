/**
 * Worker processes on this machine that dial the pool's listening address, for
 * `startMaster({ local })` and the language server. With an `output` callback their stdout
 * and stderr are piped to it: when the master speaks LSP on stdio, a child that inherited
 * stdout would corrupt the protocol stream. The secret reaches them on their stdin pipe, not
 * in their environment, where the user code they run could read it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { stopChild } from './child-stop';
import type { WorkerPool } from '../pool/pool';

export type ProcessOutput = (name: string, stream: 'stdout' | 'stderr', text: string) => void;

/** The CLI that starts workers: this bundle's own `cli.js`. */
export function cliPath(): string {
  return join(__dirname, 'cli.js');
}

/**
 * How to start one worker: `worker-process.js` beside this bundle when there is one, which
 * loads only the worker's code and so starts faster than `cli.js worker`.
 */
function workerCommand(): string[] {
  const entry = join(__dirname, 'worker-process.js');
  return existsSync(entry) ? [entry] : [cliPath(), 'worker'];
}

export interface LocalWorkerOptions {
  /** Number of the first worker (`local-N`), so later calls continue the numbering. */
  first?: number;
  /** Where the workers' own stdout and stderr go; by default they share this process's. */
  output?: ProcessOutput;
  /** More `crew worker` arguments, and environment variables (`CREW_SECRET` is never passed on). */
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Starts `count` worker processes that dial the pool, and resolves once all of them are
 * ready. Rejects naming the workers that exited first. They exit when this process does.
 */
export async function startLocalWorkers(
  pool: WorkerPool,
  count: number,
  secret: Buffer,
  opts: LocalWorkerOptions = {},
): Promise<void> {
  const listen = pool.listenAddress;
  if (!listen) throw crewError(ErrorCodes.BadArgument, 'local workers need a master that listens');
  const { first = 1, output, timeoutMs = 30_000 } = opts;
  // A wildcard listening address is reached through loopback.
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host;
  const target = pool.size + count;
  const children: ChildProcess[] = [];
  const exits: string[] = [];
  let failEarly: ((err: Error) => void) | undefined;
  const env = withoutSecret({ ...process.env, ...opts.env });
  const secretLine = secret.toString('utf8');
  if (/[\r\n]/.test(secretLine) || secretLine !== secretLine.trim() || !Buffer.from(secretLine).equals(secret))
    throw crewError(
      ErrorCodes.Secret,
      'local workers read the secret as one line of text: use UTF-8 without line breaks or spaces around it',
    );
  for (let i = first; i < first + count; i++) {
    const name = `local-${i}`;
    const address = host.includes(':') ? `[${host}]:${listen.port}` : `${host}:${listen.port}`;
    const child = spawn(
      process.execPath,
      [
        ...workerCommand(),
        '--connect',
        address,
        '--name',
        name,
        '--member',
        listen.member,
        '--exit-with-parent',
        '--audit-file',
        'none',
        ...(opts.args ?? []),
        '--secret-stdin',
      ],
      { stdio: output ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'inherit', 'inherit'], env },
    );
    // The secret goes down the stdin pipe, never into the environment: the worker reads it
    // once, and its user code and the processes that code starts cannot inherit it. The
    // pipe then stays open until this process ends (--exit-with-parent).
    child.stdin?.on('error', () => undefined);
    child.stdin?.write(`${secretLine}\n`);
    if (output) {
      child.stdout?.on('data', (d: Buffer) => output(name, 'stdout', d.toString()));
      child.stderr?.on('data', (d: Buffer) => output(name, 'stderr', d.toString()));
    }
    child.on('error', (err) => {
      exits.push(`${name}: ${err.message}`);
      failEarly?.(err);
    });
    child.on('exit', (code, signal) => {
      if (pool.closed) return;
      pool.audit.log('local', { worker: name, exited: signal ?? code });
      exits.push(`${name} exited with ${signal ?? code}`);
      failEarly?.(new Error(exits.join('; ')));
    });
    children.push(child);
  }
  pool.audit.log('local', { started: count });
  // A local worker that has not left 2 s after its stdin closed is stuck: it is killed.
  pool.onClose(() => Promise.all(children.map((c) => stopChild(c, 'SIGKILL', 2000))).then(() => undefined));
  try {
    await Promise.race([
      pool.waitForWorkers(target, timeoutMs),
      new Promise<never>((_, reject) => {
        failEarly = reject;
      }),
    ]);
  } catch (err) {
    throw crewError(ErrorCodes.ConnectFailed, `local workers did not start: ${(err as Error).message}`);
  } finally {
    failEarly = undefined;
  }
}

/** The environment without `CREW_SECRET`, which this master may have got its secret from. */
function withoutSecret(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CREW_SECRET: _secret, ...rest } = env;
  return rest;
}
