/**
 * Local worker processes for the language server. Unlike `startMaster({ local })`, their
 * stdout and stderr are piped and forwarded to the editor: when the master speaks LSP on
 * stdio, a child that inherited stdout would corrupt the protocol stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { WorkerPool } from '../pool';

export type ProcessOutput = (name: string, stream: 'stdout' | 'stderr', text: string) => void;

/** The CLI that starts workers: this bundle's own `cli.js`. */
export function cliPath(): string {
  return join(__dirname, 'cli.js');
}

/**
 * Starts `count` worker processes that dial the pool, numbered after those started before,
 * and resolves once all of them are ready. Rejects naming the workers that exited first.
 */
export async function startLocalWorkers(pool: WorkerPool, count: number, secret: Buffer, first: number, output: ProcessOutput, timeoutMs = 30_000): Promise<void> {
  const listen = pool.listenAddress;
  if (!listen) throw crewError(ErrorCodes.BadArgument, 'local workers need a master that listens');
  const target = pool.size + count;
  const children: ChildProcess[] = [];
  const exits: string[] = [];
  let failEarly: ((err: Error) => void) | undefined;
  for (let i = first; i < first + count; i++) {
    const name = `local-${i}`;
    const child = spawn(process.execPath, [cliPath(), 'worker', '--connect', `${listen.host}:${listen.port}`, '--name', name, '--member', listen.member, '--exit-with-parent', '--audit-file', 'none'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, CREW_SECRET: secret.toString('utf8') },
    });
    child.stdout?.on('data', (d: Buffer) => output(name, 'stdout', d.toString()));
    child.stderr?.on('data', (d: Buffer) => output(name, 'stderr', d.toString()));
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
  pool.onClose(() => Promise.all(children.map(stopChild)).then(() => undefined));
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

function stopChild(c: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const timer = setTimeout(() => c.kill('SIGKILL'), 2000);
    c.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // Workers started with --exit-with-parent leave when their stdin closes.
    c.stdin?.end();
  });
}
