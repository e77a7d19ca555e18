/**
 * A worker process: one connection to a master (it listens and is dialed, or it dials in),
 * heartbeats, and the eval thread. The main thread never runs user code, so it always
 * answers heartbeats and interrupts.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Audit } from '../../protocol/audit';
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';
import { acceptHandshake, dialHandshake } from '../../protocol/link/worker-handshake';
import { Defaults } from '../../protocol/limits';
import {
  isMasterToWorker,
  type MasterToWorker,
  type Tasks,
  type WorkerInfo,
} from '../../protocol/messages/worker-link-messages';
import { SignatureChecker, signingKey, signingOffer } from '../../protocol/signing';
import { isLoopback, parseHostPort } from '../../protocol/address';
import { fitResultsFrame } from '../../protocol/codec/frame-limit';
import { dial, listen, type TlsDialOptions, type TlsListenOptions } from '../../protocol/link/sockets';
import { CloseCodes, type Transport } from '../../protocol/link/transport';
import { CdpRelay } from '../debug/cdp-relay';
import { EvalHost } from './eval-host';

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
  /** Run only signed requests (dist-emacs); refuse unsigned, mis-signed and replayed ones. */
  requireSigned?: boolean;
  /** Listen with TLS (`wss`) using this certificate and key. */
  listenTls?: TlsListenOptions;
  /** Dial the master with TLS (`wss`), trusting these certificates. */
  tls?: TlsDialOptions;
  handshakeTimeoutMs?: number;
  /** Heap limit of the eval thread in MiB; past it the thread dies, not the worker. */
  evalHeapMb?: number;
}

export interface WorkerHandle {
  /** The port a listening worker is bound to. */
  port?: number;
  close(): Promise<void>;
}

/** Reads CL-MW's resource file: where the master listens, and its member id. */
export function readResourceFile(file: string): { host: string; port: number; member?: string; tls?: boolean } {
  let data: { host?: unknown; port?: unknown; member?: unknown; tls?: unknown };
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as typeof data;
  } catch (err) {
    throw crewError(ErrorCodes.BadArgument, `cannot read the resource file ${file}: ${(err as Error).message}`);
  }
  if (typeof data.host !== 'string' || typeof data.port !== 'number')
    throw crewError(ErrorCodes.BadArgument, `the resource file ${file} has no host and port`);
  return {
    host: data.host,
    port: data.port,
    member: typeof data.member === 'string' ? data.member : undefined,
    tls: data.tls === true,
  };
}

export async function startWorker(opts: WorkerOptions): Promise<WorkerHandle> {
  const audit = opts.audit;
  const info: WorkerInfo = {
    name: opts.name ?? `${hostname()}:${process.pid}`,
    host: hostname(),
    pid: process.pid,
    node: process.version,
  };
  const host = new EvalHost({ maxHeapMb: opts.evalHeapMb });
  const maxFrameBytes = opts.maxFrameBytes ?? Defaults.maxFrameBytes;
  let session = 0;
  let current: Transport | undefined;
  let closing = false;
  const handshake = {
    secret: opts.secret,
    role: 'worker' as const,
    member: opts.member,
    timeoutMs: opts.handshakeTimeoutMs,
  };
  const signKey = signingKey(opts.secret);
  /** Checks request signatures on the current connection. */
  let signing: SignatureChecker | undefined;

  host.on('results', (frame, s) => {
    // A result too large for a frame becomes an error naming its size, not a dropped link.
    if (s === session && current?.phase === 'open')
      for (const f of fitResultsFrame(frame, maxFrameBytes)) current.ws.send(f);
  });
  host.on('output', (stream, text) => {
    if (current?.phase === 'open') current.send({ t: 'output', stream, text });
    else process.stderr.write(text);
  });
  host.debug.on('paused', (msg) => {
    audit.log('state', {
      debugger: 'suspended',
      pause: msg.pauseId,
      task: msg.taskId,
      error: `${msg.condition.name}: ${msg.condition.message}`,
    });
    current?.send(msg);
  });
  host.debug.on('resumed', (msg) => current?.send(msg));
  const relay = new CdpRelay(
    () => host.threadId,
    (m) => current?.send(m),
  );
  // Agents talk to agents on other nodes through the master.
  host.on('agent', (m) => current?.send(m));
  host.on('restarted', (reason) => {
    audit.log('eval-thread', { restarted: reason });
    current?.send({ t: 'evalThreadRestarted', reason });
  });

  /** Serves one authenticated master until the link ends. */
  const serve = (link: Transport): Promise<'closed' | 'shutdown'> => {
    current?.dispose(CloseCodes.Normal, 'replaced by a newer master session');
    current = link;
    const mine = ++session;
    if (mine > 1) host.newSession();
    audit.log('connect', { master: link.peer, session: mine });
    link.startHeartbeat(opts.heartbeatTimeoutMs ?? Defaults.heartbeatTimeoutMs);
    signing = new SignatureChecker(signKey, signingOffer(!!opts.requireSigned));
    link.send({ t: 'ready', info: { ...info, signing: signing.offer } });
    return new Promise((resolve) => {
      let outcome: 'closed' | 'shutdown' = 'closed';
      link.onBadFrame((err) => {
        audit.log('bad-frame', { master: link.peer, error: err.message });
        link.send({ t: 'protocolError', code: err.code, message: err.message });
      });
      link.onMessage((m) => {
        if (!isMasterToWorker(m)) {
          audit.log('bad-frame', { master: link.peer, error: 'not a master message' });
          link.send({
            t: 'protocolError',
            code: ErrorCodes.BadFrame,
            message: 'frame is not a message a master sends',
          });
          return;
        }
        try {
          handle(m, mine, () => {
            outcome = 'shutdown';
            link.dispose(CloseCodes.Shutdown, 'master shut down');
          });
        } catch (err) {
          // A frame of the right type whose fields are wrong must not take the worker down.
          audit.log('bad-frame', {
            master: link.peer,
            error: `${m.t} frame broke its handler: ${(err as Error).message}`,
          });
          link.send({
            t: 'protocolError',
            code: ErrorCodes.BadFrame,
            message: `malformed ${m.t} message: ${(err as Error).message}`,
          });
        }
      });
      link.onEnd((reason) => {
        if (current === link) {
          current = undefined;
          host.debug.abandon();
          relay.closeAll('the master went away');
        }
        audit.log('disconnect', { master: link.peer, session: mine, reason });
        resolve(outcome);
      });
    });
  };

  const handle = (m: MasterToWorker, mine: number, shutdown: () => void): void => {
    switch (m.t) {
      case 'tasks': {
        const refused = signing?.check(m);
        if (refused) return refuseTasks(m, refused);
        host.run(mine, m.forms, m.tasks, m.resultGroup);
        return;
      }
      case 'agent':
        host.agent(m);
        return;
      case 'interrupt':
        host.interrupt();
        return;
      case 'debugMode':
        host.setDebugMode(m.on);
        return;
      case 'cdpOpen':
        relay.open(m.sid);
        return;
      case 'cdpMessage':
        relay.message(m.sid, m.message);
        return;
      case 'cdpClose':
        relay.close(m.sid);
        return;
      case 'debugSuspend':
        host.debug.suspend();
        return;
      case 'debugRequest':
        host.debug.request(m.pauseId, m.req).then(
          (answer) => current?.send({ t: 'debugResponse', reqId: m.reqId, ok: true, answer }),
          (err: CrewError) =>
            current?.send({
              t: 'debugResponse',
              reqId: m.reqId,
              ok: false,
              code: err.code ?? ErrorCodes.Remote,
              message: err.message,
            }),
        );
        return;
      case 'shutdown':
        audit.log('shutdown', { reason: m.reason });
        shutdown();
        return;
      case 'protocolError':
        audit.log('error', { from: 'master', code: m.code, message: m.message });
        return;
    }
  };

  /** Each task of a refused frame fails with the reason, so no caller waits for it. */
  const refuseTasks = (m: Tasks.Msg, why: CrewError): void => {
    audit.log('refused', { tasks: m.tasks.length, code: why.code, reason: why.message });
    const error = { name: 'CrewError', code: why.code, message: why.message, frames: [] };
    current?.send({ t: 'results', results: m.tasks.map((t) => ({ id: t.id, ok: false as const, error, ms: 0 })) });
  };

  const close = async (): Promise<void> => {
    closing = true;
    current?.dispose(CloseCodes.Normal, 'worker closing');
    await host.stop();
  };

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
        tls: opts.listenTls,
        audit,
        who: 'worker',
      },
      (link) => {
        acceptHandshake(link, handshake).then(
          () => void serve(link),
          (err: Error) => audit.log('refused', { peer: link.peer, reason: err.message }),
        );
      },
    );
    const port = listener.port;
    audit.log('listen', { host: bindHost, port, name: info.name, tls: opts.listenTls ? true : undefined });
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
  // A resource file says when the master listens with TLS; the system's CAs apply unless told.
  const dialTls: TlsDialOptions | undefined = opts.tls ?? ('tls' in target && target.tls ? {} : undefined);
  void (async () => {
    let delay: number = Defaults.reconnectMinMs;
    while (!closing) {
      const outcome = await dialOnce(`${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`);
      if (outcome === 'shutdown' && !opts.persist) {
        await host.stop();
        opts.onShutdown?.();
        return;
      }
      if (outcome === 'served') delay = Defaults.reconnectMinMs;
      if (closing) return;
      await new Promise((r) => setTimeout(r, delay * (0.75 + Math.random() / 2)));
      delay = Math.min(delay * 2, Defaults.reconnectMaxMs);
    }
  })();

  async function dialOnce(address: string): Promise<'served' | 'shutdown' | 'failed'> {
    const link = dial(address, { maxFrameBytes, handshakeTimeoutMs: opts.handshakeTimeoutMs, tls: dialTls });
    try {
      await dialHandshake(link, handshake);
    } catch (err) {
      audit.log('refused', { master: address, reason: (err as Error).message });
      return 'failed';
    }
    return (await serve(link)) === 'shutdown' ? 'shutdown' : 'served';
  }

  return { close };
}
