/**
 * Making pools: dial workers that listen (Swank Crew's connect-workers), or listen for
 * workers that dial in (CL-MW), optionally starting local worker processes.
 */
import { randomBytes } from 'node:crypto';
import { isLoopback, parseHostPort } from '../../protocol/address';
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';
import { acceptHandshake, dialHandshake } from '../../protocol/link/worker-handshake';
import { Defaults } from '../../protocol/limits';
import type { Ready } from '../../protocol/messages/worker-link-messages';
import { writePrivateFile } from '../../protocol/private-file';
import { resolveSecret, type SecretOptions } from '../../protocol/secret';
import { dial, listen, type TlsDialOptions, type TlsListenOptions } from '../../protocol/link/sockets';
import { CloseCodes, type MasterEnd } from '../../protocol/link/link';
import { startSlurmWorkers, type SlurmPoolOptions } from '../launch/slurm-workers';
import { dialFailure } from './dial-failure';
import { heldElsewhere } from './relay-check';
import { startLocalWorkers } from '../launch/local-workers';
import { WorkerPool, type PoolOptions } from './pool';

export interface ConnectOptions extends PoolOptions, SecretOptions {
  /** CL-MW's member id: keeps different jobs apart. */
  member?: string;
  maxFrameBytes?: number;
  /** Redial a dialed worker that drops (default true). */
  redial?: boolean;
  /** Dial workers with TLS (`wss`), trusting these certificates. */
  tls?: TlsDialOptions;
  /** Time a peer has to finish the authentication handshake (default 5 s). */
  handshakeTimeoutMs?: number;
}

export interface MasterOptions extends ConnectOptions {
  /** Port to listen on for workers (0 picks one). */
  port?: number;
  /** Address to listen on; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** Start this many local worker processes that dial in. */
  local?: number;
  /** Write CL-MW's resource file here: where workers should dial. */
  resourceFile?: string;
  /** Also dial these listening workers. */
  workers?: string[];
  /** How long to wait for local workers to be ready (default 30 s). */
  startTimeoutMs?: number;
  /** Listen with TLS (`wss`): workers must dial `wss` and trust this certificate. */
  listenTls?: TlsListenOptions;
  /** Extra `crew worker` options for local workers, e.g. `['--eval-heap-mb', '256']`. */
  localWorkerArgs?: string[];
  /** Submit this many workers as a Slurm job array; they join as Slurm starts them. */
  slurm?: SlurmPoolOptions;
}

type HostPort = string | { host: string; port: number };

/**
 * Dials more listening workers into an existing pool, as Swank Crew's connect-workers does
 * for a running master. Resolves once each is ready (and replayed); rejects naming every
 * worker that could not be reached.
 */
export async function addWorkers(pool: WorkerPool, hostPorts: HostPort[]): Promise<void> {
  const dial = pool.dialer;
  if (!dial) throw crewError(ErrorCodes.BadArgument, 'addWorkers needs a pool made by connectWorkers or startMaster');
  if (pool.closed) throw crewError(ErrorCodes.PoolClosed, 'the pool is disconnected');
  const before = pool.size;
  const results = await Promise.allSettled(hostPorts.map((hp) => dial(toAddress(hp))));
  const failed = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => (r.reason as Error).message);
  await pool.waitForWorkers(before + hostPorts.length - failed.length);
  if (failed.length > 0) throw crewError(ErrorCodes.ConnectFailed, failed.join('; '));
}

/**
 * Dials workers that are listening and returns once each is connected or has failed.
 * Failures are reported in `pool.connectErrors`; if every worker fails, it rejects.
 */
export async function connectWorkers(hostPorts: HostPort[], opts: ConnectOptions = {}): Promise<WorkerPool> {
  const pool = new WorkerPool(opts);
  const secret = resolveSecret(opts);
  pool.dialer = (address) => dialWorker(pool, address, secret, opts);
  const results = await Promise.allSettled(hostPorts.map((hp) => dialWorker(pool, toAddress(hp), secret, opts)));
  for (const r of results) if (r.status === 'rejected') pool.connectErrors.push(r.reason as Error);
  if (hostPorts.length > 0 && pool.connectErrors.length === hostPorts.length) {
    await pool.close('no worker could be reached');
    // Workers that all serve their limit of masters are busy, not unreachable.
    const busy = pool.connectErrors.every((e) => (e as Partial<CrewError>).code === ErrorCodes.WorkerBusy);
    throw crewError(
      busy ? ErrorCodes.WorkerBusy : ErrorCodes.ConnectFailed,
      `could not connect to any worker: ${pool.connectErrors.map((e) => e.message).join('; ')}`,
    );
  }
  await pool.waitForWorkers(hostPorts.length - pool.connectErrors.length);
  return pool;
}

function toAddress(hp: HostPort): string {
  if (typeof hp === 'string') {
    const { host, port } = parseHostPort(hp);
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  return `${hp.host}:${hp.port}`;
}

/** Dials one worker; once connected, redials it with backoff if it drops. */
export async function dialWorker(
  pool: WorkerPool,
  address: string,
  secret: Buffer,
  opts: ConnectOptions = {},
): Promise<void> {
  const attempt = async (): Promise<MasterEnd> => {
    const { link: transport, id } = await dialHandshake(dial(address, opts), {
      secret,
      role: 'master',
      member: opts.member,
      timeoutMs: opts.handshakeTimeoutMs,
      identity: pool.identity,
      vetPeer: (peer) => heldElsewhere(pool.links.values(), peer.id, address),
    });
    const info = await firstReady(transport);
    pool.adopt(transport, info, address, id);
    return transport;
  };
  let transport: MasterEnd;
  try {
    transport = await attempt();
  } catch (err) {
    pool.audit.log('refused', { worker: address, reason: (err as Error).message });
    throw dialFailure(address, err as Error);
  }
  if (opts.redial === false) return;
  const redial = (t: MasterEnd) =>
    t.onEnd(() => {
      void (async () => {
        let delay: number = Defaults.reconnectMinMs;
        while (!pool.closed) {
          await new Promise((r) => setTimeout(r, delay));
          if (pool.closed) return;
          try {
            redial(await attempt());
            return;
          } catch {
            delay = Math.min(delay * 2, Defaults.reconnectMaxMs);
          }
        }
      })();
    });
  redial(transport);
}

/** The worker's `ready`; each failure rejects before the link is ended, whose own rejection is vaguer. */
function firstReady(transport: MasterEnd): Promise<Ready.Msg['info']> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(crewError(ErrorCodes.HandshakeTimeout, `${transport.peer} authenticated but never said it was ready`));
      transport.dispose(CloseCodes.HandshakeTimeout, 'no ready message');
    }, Defaults.handshakeTimeoutMs);
    transport.onMessage((m) => {
      clearTimeout(timer);
      const msg = m as Partial<Ready.Msg>;
      if (msg?.t === 'ready' && typeof msg.info?.name === 'string') resolve(msg.info);
      else if (m.t === 'protocolError' && m.code === ErrorCodes.WorkerBusy) {
        // A worker at its --max-sessions limit says so instead of being ready.
        reject(crewError(ErrorCodes.WorkerBusy, m.message));
        transport.dispose(CloseCodes.Normal, 'the worker is busy');
      } else {
        reject(crewError(ErrorCodes.BadFrame, `${transport.peer} sent ${String(msg?.t)} before ready`));
        transport.dispose(CloseCodes.BadFrame, 'expected a ready message');
      }
    });
    transport.onBadFrame((err) => {
      clearTimeout(timer);
      reject(crewError(ErrorCodes.BadFrame, `${transport.peer} sent a bad frame before ready: ${err.message}`));
      transport.dispose(CloseCodes.BadFrame, 'expected a ready message');
    });
    transport.onEnd((reason) =>
      reject(crewError(ErrorCodes.ConnectFailed, `${transport.peer} closed before it was ready: ${reason}`)),
    );
  });
}

/**
 * Starts a master that workers dial into, CL-MW style. With `local: N` it also starts N
 * worker processes on this machine and returns once they are ready.
 */
export async function startMaster(opts: MasterOptions = {}): Promise<WorkerPool> {
  const pool = new WorkerPool(opts);
  const secret = resolveSecret(opts);
  const dialOpts = { ...opts, member: undefined };
  pool.dialer = (address) => dialWorker(pool, address, secret, dialOpts);
  const host = opts.host ?? '127.0.0.1';
  const given = opts.secret !== undefined || opts.secretFile !== undefined || !!process.env.CREW_SECRET;
  if (!isLoopback(host) && !given) {
    throw crewError(
      ErrorCodes.InsecureListen,
      `refusing to listen on ${host} without a secret: give secretFile or CREW_SECRET, or listen on 127.0.0.1`,
    );
  }
  const member = opts.member ?? randomBytes(6).toString('hex');
  const listener = await listen(
    {
      host,
      port: opts.port ?? 0,
      maxFrameBytes: opts.maxFrameBytes,
      handshakeTimeoutMs: opts.handshakeTimeoutMs,
      tls: opts.listenTls,
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
  pool.audit.log('listen', { host, port, member, tls: opts.listenTls ? true : undefined });
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
            tls: opts.listenTls ? true : undefined,
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
  const dials = (opts.workers ?? []).map((w) => dialWorker(pool, toAddress(w), secret, { ...opts, member: undefined }));
  const local = opts.local ?? 0;
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const started =
    local > 0 ? startLocalWorkers(pool, local, secret, { ...localWorkerSettings(opts), timeoutMs }) : Promise.resolve();
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
function localWorkerSettings(opts: MasterOptions): { args: string[]; env: Record<string, string> } {
  // Local workers answer heartbeats on the same schedule, and trust the master's certificate.
  const args = [
    ...(opts.heartbeatTimeoutMs ? ['--heartbeat-timeout', String(opts.heartbeatTimeoutMs)] : []),
    ...(opts.maxFrameBytes ? ['--max-frame-bytes', String(opts.maxFrameBytes)] : []),
    ...(opts.listenTls ? ['--tls'] : []),
    ...(opts.localWorkerArgs ?? []),
  ];
  return { args, env: opts.listenTls ? { CREW_TLS_CA: opts.listenTls.cert.toString() } : {} };
}

/** Closes every connection. Calls in flight reject with `CREW_POOL_CLOSED`; none hangs. */
export async function disconnectWorkers(pool: WorkerPool | null | undefined): Promise<void> {
  await pool?.close();
}
