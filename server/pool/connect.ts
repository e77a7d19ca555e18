/**
 * Making pools: dial workers that listen (Swank Crew's connect-workers), or listen for
 * workers that dial in (CL-MW), optionally starting local worker processes.
 */
import { randomBytes } from 'node:crypto';
import { isLoopback, parseHostPort } from '../../protocol/address';
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';
import { acceptHandshake } from '../../protocol/link/worker-handshake';
import { writePrivateFile } from '../../protocol/private-file';
import { resolveSecret } from '../../protocol/secret';
import { listen } from '../../protocol/link/sockets';
import { startSlurmWorkers } from '../launch/slurm-workers';
import { startLocalWorkers } from '../launch/local-workers';
import { dialWorker, firstReady, type ConnectOptions } from './dial-worker';
import type { MasterOptions } from './master-options';
import { checkOptionNames } from './option-names';
import { WorkerPool } from './pool';

export { dialWorker, type ConnectOptions } from './dial-worker';
export type { MasterOptions } from './master-options';

type HostPort = string | { host: string; port: number };

/**
 * Dials more listening workers into an existing pool, as Swank Crew's connect-workers does
 * for a running master. Resolves once each is ready (and replayed); a worker the pool already
 * dialed at that address is there already. Rejects naming every worker that could not be reached.
 */
export async function addWorkers(pool: WorkerPool, hostPorts: HostPort[]): Promise<void> {
  const dial = pool.dialer;
  if (!dial) throw crewError(ErrorCodes.BadArgument, 'addWorkers needs a pool made by connectWorkers or startMaster');
  if (pool.closed) throw crewError(ErrorCodes.PoolClosed, 'the pool is disconnected');
  if (!Array.isArray(hostPorts))
    throw crewError(ErrorCodes.BadArgument, `addWorkers needs an array of host:port, got ${typeof hostPorts}`);
  const held = new Set([...pool.links.values()].map((l) => l.dialAddress));
  const fresh = uniqueAddresses(hostPorts).filter((a) => !held.has(a));
  if (fresh.length > 0) pool.expectsWorkers = true;
  const before = pool.size;
  const results = await Promise.allSettled(fresh.map((address) => dial(address)));
  const failed = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => (r.reason as Error).message);
  await pool.waitForWorkers(before + fresh.length - failed.length);
  if (failed.length > 0) throw crewError(ErrorCodes.ConnectFailed, failed.join('; '));
}

/**
 * Dials workers that are listening and returns once each is connected or has failed.
 * Failures are reported in `pool.connectErrors`; if every worker fails, it rejects.
 */
export async function connectWorkers(hostPorts: HostPort[], opts: ConnectOptions = {}): Promise<WorkerPool> {
  checkOptionNames('connectWorkers', opts);
  const pool = new WorkerPool(opts);
  const secret = resolveSecret(opts);
  pool.dialer = (address) => dialWorker(pool, address, secret, opts);
  const addresses = uniqueAddresses(hostPorts);
  pool.expectsWorkers = addresses.length > 0;
  const results = await Promise.allSettled(addresses.map((address) => dialWorker(pool, address, secret, opts)));
  for (const r of results) if (r.status === 'rejected') pool.connectErrors.push(r.reason as Error);
  if (addresses.length > 0 && pool.connectErrors.length === addresses.length) {
    await pool.close('no worker could be reached');
    // Workers that all serve their limit of masters are busy, not unreachable.
    const busy = pool.connectErrors.every((e) => (e as Partial<CrewError>).code === ErrorCodes.WorkerBusy);
    throw crewError(
      busy ? ErrorCodes.WorkerBusy : ErrorCodes.ConnectFailed,
      `could not connect to any worker: ${pool.connectErrors.map((e) => e.message).join('; ')}`,
    );
  }
  await pool.waitForWorkers(addresses.length - pool.connectErrors.length);
  return pool;
}

/**
 * Each address once, in the order given: the same worker dialed twice would have each link
 * replace the other, and neither would ever be ready.
 */
function uniqueAddresses(hostPorts: readonly HostPort[]): string[] {
  if (!Array.isArray(hostPorts))
    throw crewError(ErrorCodes.BadArgument, `workers must be an array of host:port, got ${typeof hostPorts}`);
  return [...new Set(hostPorts.map(toAddress))];
}

function toAddress(hp: HostPort): string {
  if (typeof hp === 'string') {
    const { host, port } = parseHostPort(hp);
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  return `${hp.host}:${hp.port}`;
}

/**
 * Starts a master that workers dial into, CL-MW style. With `local: N` it also starts N
 * worker processes on this machine and returns once they are ready.
 */
export async function startMaster(opts: MasterOptions = {}): Promise<WorkerPool> {
  checkOptionNames('startMaster', opts);
  const pool = new WorkerPool(opts);
  const secret = resolveSecret(opts);
  const dialOpts = { ...opts, member: undefined };
  pool.dialer = (address) => dialWorker(pool, address, secret, dialOpts);
  const host = opts.host ?? '127.0.0.1';
  const given = opts.secret !== undefined || opts.secretFile !== undefined || !!process.env.CREW_SECRET;
  if (!isLoopback(host) && !given) {
    throw crewError(
      ErrorCodes.InsecureListen,
      `refusing to listen on ${host} without a secret: give one with --secret-file (secretFile in the library) ` +
        'or CREW_SECRET, or listen on 127.0.0.1',
    );
  }
  const askedPort = opts.port ?? 0;
  if (!Number.isInteger(askedPort) || askedPort < 0 || askedPort > 65535)
    throw crewError(ErrorCodes.BadArgument, `port must be a whole number from 0 to 65535, got ${String(askedPort)}`);
  const member = opts.member ?? randomBytes(6).toString('hex');
  const listener = await listen(
    {
      host,
      port: askedPort,
      maxFrameBytes: opts.maxFrameBytes,
      handshakeTimeoutMs: opts.handshakeTimeoutMs,
      tls: opts.listenTls ?? (typeof opts.tls === 'string' ? opts.tls : undefined),
      audit: pool.audit,
      who: 'master',
    },
    (transport) => {
      acceptHandshake(transport, {
        secret,
        role: 'master',
        member,
        timeoutMs: opts.handshakeTimeoutMs,
        identity: pool.identity,
      })
        .then(async ({ link, id }) => ({ link, id, info: await firstReady(link) }))
        .then(
          ({ link, id, info }) => pool.adopt(link, info, undefined, id),
          (err: Error) => pool.audit.log('refused', { peer: transport.peer, reason: err.message }),
        );
    },
  );
  const port = listener.port;
  pool.listenAddress = { host, port, member };
  pool.audit.log('listen', { host, port, member, tls: listener.tls.required, cert: listener.tls.cert });
  // Workers told where to dial (resource file, local workers) dial TLS when nothing else is taken.
  const tlsOnly = listener.tls.required === 'only';
  pool.onClose(() => listener.close());
  if (opts.resourceFile) {
    try {
      writePrivateFile(
        opts.resourceFile,
        JSON.stringify(
          {
            host,
            port,
            member,
            tls: tlsOnly ? true : undefined,
            time: new Date().toISOString(),
            pid: process.pid,
          },
          null,
          2,
        ) + '\n',
        { what: 'the resource file', code: ErrorCodes.BadArgument },
      );
    } catch (err) {
      // A refused file (another user's, or in a folder others control) leaves no listener behind.
      await pool.close('the resource file could not be written');
      throw err;
    }
  }
  if (opts.slurm) {
    const secretGivenInline = opts.secret !== undefined || (!opts.secretFile && !!process.env.CREW_SECRET);
    const ctx = { listenHost: host, port, member, secretFile: opts.secretFile, secretGivenInline };
    pool.slurmJob = await startSlurmWorkers(pool, opts.slurm, ctx).catch(async (err: unknown) => {
      await pool.close('the Slurm job could not be submitted');
      throw err;
    });
  }
  const dials = uniqueAddresses(opts.workers ?? []).map((w) => dialWorker(pool, w, secret, dialOpts));
  const local = opts.local ?? 0;
  pool.expectsWorkers = local > 0 || dials.length > 0 || !!opts.slurm;
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const started =
    local > 0
      ? startLocalWorkers(pool, local, secret, { ...localWorkerSettings(opts, tlsOnly), timeoutMs })
      : Promise.resolve();
  // Handled below; a rejection must not go unhandled while the dials finish.
  started.catch(() => undefined);
  const dialed = await Promise.allSettled(dials);
  for (const d of dialed) if (d.status === 'rejected') pool.connectErrors.push(d.reason as Error);
  const failed = pool.connectErrors.length;
  try {
    await started;
    await pool.waitForWorkers(local + dials.length - failed, timeoutMs);
  } catch (err) {
    await pool.close('workers did not start');
    throw err;
  }
  return pool;
}

/** `crew worker` arguments and environment so local workers match this master's settings. */
function localWorkerSettings(opts: MasterOptions, tlsOnly: boolean): { args: string[]; env: Record<string, string> } {
  // Local workers answer heartbeats on the same schedule, and trust the master's certificate.
  const args = [
    ...(opts.heartbeatTimeoutMs ? ['--heartbeat-timeout', String(opts.heartbeatTimeoutMs)] : []),
    ...(opts.maxFrameBytes ? ['--max-frame-bytes', String(opts.maxFrameBytes)] : []),
    ...(tlsOnly ? ['--tls'] : []),
    ...(opts.localWorkerArgs ?? []),
  ];
  return { args, env: opts.listenTls ? { CREW_TLS_CA: opts.listenTls.cert.toString() } : {} };
}

/** Closes every connection. Calls in flight reject with `CREW_POOL_CLOSED`; none hangs. */
export async function disconnectWorkers(pool: WorkerPool | null | undefined): Promise<void> {
  await pool?.close();
}
