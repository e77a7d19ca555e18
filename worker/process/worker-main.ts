/**
 * A worker process: it listens and is dialed by masters, each served in a session of its own
 * (up to `maxSessions`), or it dials in to one master. The main thread keeps the connections
 * and heartbeats and never runs user code, so it always answers heartbeats and interrupts.
 */
import { hostname } from 'node:os';
import type { Audit } from '../../protocol/audit';
import { crewError, CrewError, ErrorCodes } from '../../protocol/errors';
import { Identity } from '../../protocol/link/identity';
import { acceptHandshake, dialHandshake } from '../../protocol/link/worker-handshake';
import { Defaults } from '../../protocol/limits';
import type { WorkerInfo } from '../../protocol/messages/worker-link-messages';
import { signingKey } from '../../protocol/signing';
import { isLoopback, parseHostPort } from '../../protocol/address';
import { dial, listen, type DialTls, type TlsListenOptions } from '../../protocol/link/sockets';
import { slurmPlacement } from './slurm-placement';
import { WorkerSessions } from './worker-sessions';
import { readResourceFile } from './resource-file';
import { DEFAULT_LIFETIME_MARGIN_S, jobEnd, planLeave, type LifetimeOptions } from './job-lifetime';

export { readResourceFile } from './resource-file';

export interface WorkerOptions {
  /** Listen on this port (0 picks one) and let the master dial in. */
  port?: number;
  host?: string;
  /** Dial a master at `host:port`. */
  connect?: string;
  /** Read where to dial from the master's resource file. */
  resourceFile?: string;
  secret: Buffer;
  /** True when the secret was given (not generated); required to listen beyond loopback. */
  secretGiven?: boolean;
  name?: string;
  member?: string;
  audit: Audit;
  heartbeatTimeoutMs?: number;
  maxFrameBytes?: number;
  /** Keep redialing even after the master says it is shutting down. */
  persist?: boolean;
  /** Called when a master ends the job with a shutdown message. */
  onShutdown?: () => void;
  /**
   * Called, instead of redialing, when the master refuses this worker for good: the secrets
   * differ, another job's member id, another protocol version. Without it (or with `persist`)
   * the worker redials every `REFUSED_RETRY_MS`, and each refusal is in the audit trail.
   */
  onRefused?: (err: CrewError) => void;
  /** Run only signed requests (dist-emacs); refuse unsigned, mis-signed and replayed ones. */
  requireSigned?: boolean;
  /** Listen with TLS (`wss`) using this certificate and key. */
  listenTls?: TlsListenOptions;
  /**
   * TLS: `auto` (default: TLS when an end is beyond loopback), `on` (`--tls`), `off`
   * (`--no-tls`), or a check of the master's certificate (`--tls-ca`). A choice applies to
   * listening too.
   */
  tls?: DialTls;
  handshakeTimeoutMs?: number;
  /** Heap limit of the eval thread in MiB; past it the thread dies, not the worker. */
  evalHeapMb?: number;
  /**
   * When the job ends (a Slurm job's end, or `lifetimeS`), the worker leaves `marginS` before
   * it: it hands back what it has not started, finishes what runs, and closes cleanly.
   */
  lifetime?: LifetimeOptions;
  /** Called once the worker has left because its job ends. */
  onLeft?: () => void;
  /** Masters a listening worker serves at once, each with its own eval thread (default 4). */
  maxSessions?: number;
}

/** How often a worker the master refused tries again (`persist`): retrying sooner cannot help. */
export const REFUSED_RETRY_MS = 60_000;

/** Refusals that trying again cannot cure: only the user can, by fixing the secret, job or version. */
const LASTING_REFUSALS: ReadonlySet<string> = new Set([ErrorCodes.AuthFailed, ErrorCodes.VersionMismatch]);

export interface WorkerHandle {
  /** The port a listening worker is bound to. */
  port?: number;
  close(): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<WorkerHandle> {
  const audit = opts.audit;
  const info: WorkerInfo = {
    name: opts.name ?? `${hostname()}:${process.pid}`,
    host: hostname(),
    pid: process.pid,
    node: process.version,
    slurm: slurmPlacement(),
  };
  const maxSessions = opts.maxSessions ?? Defaults.maxSessions;
  if (!Number.isInteger(maxSessions) || maxSessions < 1)
    throw crewError(ErrorCodes.BadArgument, `maxSessions must be a whole number >= 1, got ${maxSessions}`);
  const maxFrameBytes = opts.maxFrameBytes ?? Defaults.maxFrameBytes;
  let closing = false;
  const handshake = {
    secret: opts.secret,
    role: 'worker' as const,
    member: opts.member,
    timeoutMs: opts.handshakeTimeoutMs,
    // Proven in each handshake, so a master knows this process at any address it answers on.
    identity: new Identity(),
  };
  const dials = opts.port === undefined;
  const heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? Defaults.heartbeatTimeoutMs;
  const sessions = new WorkerSessions({
    audit,
    info,
    heartbeatTimeoutMs,
    maxFrameBytes,
    signKey: signingKey(opts.secret),
    requireSigned: !!opts.requireSigned,
    evalHeapMb: opts.evalHeapMb,
    maxSessions,
    // A worker that dials in serves the one master it dials, and keeps its session while it
    // redials, however long that takes, as it always has.
    resumeWindowMs: dials ? Infinity : heartbeatTimeoutMs,
    spareThread: !dials,
  });

  const close = async (): Promise<void> => {
    closing = true;
    cancelLeave();
    await sessions.close('worker closing');
    // Refusals held back by the audit's rate limit are counted before the worker goes.
    audit.flush();
  };

  let cancelLeave = () => {};
  // Asking Slurm when the job ends (squeue) runs beside joining the master, not before it.
  void jobEnd(opts.lifetime ?? {}).then(
    (end) => {
      if (!end || closing) return;
      cancelLeave = planLeave(end, opts.lifetime?.marginS ?? DEFAULT_LIFETIME_MARGIN_S, audit, (reason, deadline) => {
        closing = true;
        void sessions
          .leave(reason, deadline)
          .then(() => sessions.close(reason))
          .then(() => opts.onLeft?.());
      });
    },
    (err: Error) => audit.log('error', { lifetime: `cannot tell when the job ends: ${err.message}` }),
  );

  if (opts.port !== undefined) {
    const bindHost = opts.host ?? '127.0.0.1';
    if (!isLoopback(bindHost) && !opts.secretGiven) {
      throw crewError(
        ErrorCodes.InsecureListen,
        `refusing to listen on ${bindHost} without a secret: give --secret-file or CREW_SECRET, or listen on 127.0.0.1`,
      );
    }
    const listener = await listen(
      {
        host: bindHost,
        port: opts.port,
        maxFrameBytes,
        handshakeTimeoutMs: opts.handshakeTimeoutMs,
        tls: opts.listenTls ?? (typeof opts.tls === 'string' ? opts.tls : undefined),
        audit,
        who: 'worker',
      },
      (link) => {
        acceptHandshake(link, handshake).then(
          (opened) => void sessions.serve(opened.link, opened.id),
          (err: Error) => audit.log('refused', { peer: link.peer, reason: err.message }),
        );
      },
    );
    const port = listener.port;
    audit.log('listen', { host: bindHost, port, name: info.name, tls: listener.tls.required, cert: listener.tls.cert });
    return {
      port,
      close: async () => {
        await close();
        await listener.close();
      },
    };
  }

  const target = opts.connect
    ? { ...parseHostPort(opts.connect), member: opts.member }
    : opts.resourceFile
      ? readResourceFile(opts.resourceFile)
      : undefined;
  if (!target) throw crewError(ErrorCodes.BadArgument, 'a worker needs --port, --connect or --resource-file');
  if (target.member) handshake.member = target.member;
  // A resource file says when the master takes TLS only; the secret authenticates it.
  const dialTls: DialTls | undefined = opts.tls ?? ('tls' in target && target.tls ? 'on' : undefined);
  void (async () => {
    let delay: number = Defaults.reconnectMinMs;
    while (!closing) {
      const outcome = await dialOnce(`${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`);
      if (outcome === 'shutdown' && !opts.persist) {
        await sessions.close('the master ended the job');
        opts.onShutdown?.();
        return;
      }
      const refused = outcome instanceof CrewError;
      if (refused && opts.onRefused && !opts.persist) {
        await sessions.close('the master refused this worker');
        return opts.onRefused(outcome);
      }
      if (outcome === 'served') delay = Defaults.reconnectMinMs;
      if (closing) return;
      const wait = refused ? REFUSED_RETRY_MS : delay * (0.75 + Math.random() / 2);
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(delay * 2, Defaults.reconnectMaxMs);
    }
  })();

  /** One connection to the master, served until it ends; a lasting refusal comes back as its error. */
  async function dialOnce(address: string): Promise<'served' | 'shutdown' | 'failed' | CrewError> {
    const raw = dial(address, {
      maxFrameBytes,
      handshakeTimeoutMs: opts.handshakeTimeoutMs,
      tls: dialTls,
      auditTrail: audit,
    });
    let opened;
    try {
      opened = await dialHandshake(raw, handshake);
    } catch (err) {
      audit.log('refused', { master: address, reason: (err as Error).message });
      const code = (err as Partial<CrewError>).code;
      return err instanceof CrewError && code && LASTING_REFUSALS.has(code) ? err : 'failed';
    }
    // Each link to the same master resumes its one session; another master starts afresh.
    await sessions.endOthers(opened.id, `a different master answered at ${address}`);
    return (await sessions.serve(opened.link, opened.id)) === 'shutdown' ? 'shutdown' : 'served';
  }

  return { close };
}
