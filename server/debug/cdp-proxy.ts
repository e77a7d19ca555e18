/**
 * A Chrome DevTools Protocol endpoint on the master for one worker's eval thread, so VS
 * Code's own JavaScript debugger (js-debug) can attach with `websocketAddress`. Each address
 * carries a one-time token handed out over the editor's authenticated LSP connection; the
 * bytes travel over the master's existing, authenticated connection to the worker. It listens
 * on loopback, unless editors attach from other hosts (`crew lsp --port --host H`): then it
 * listens on H with TLS only, under the listener's own certificate, and each address names
 * that certificate's SHA-256 (`#sha256=`), so the editor, which learnt it over its
 * authenticated link, can tell the master from a man in the middle before it sends the token
 * (extension/debugger/cdp-tunnel.ts).
 *
 * The token is checked at the HTTP upgrade, before a WebSocket exists: a stranger who reaches
 * the port is refused with a 401 and can make the master buffer nothing. A debugger that
 * holds a token may send messages up to `Defaults.maxCdpMessageBytes`; a larger one closes
 * its connection (1009) before it is buffered.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isLoopback } from '../../protocol/address';
import { listenerCertificate } from '../../protocol/link/tls-certificate';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Audit } from '../../protocol/audit';
import type { CdpToMaster } from '../../protocol/messages/cdp-messages';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { closeReason } from '../../protocol/link/ws-link';
import { Defaults } from '../../protocol/limits';
import type { WorkerLink } from '../pool/worker-link';

const TOKEN_TTL_MS = 60_000;

/** Where endpoints started from now on listen beyond loopback; undefined for loopback only. */
let beyondLoopback: string | undefined;

/**
 * Makes debugger endpoints started from now on reachable from other hosts on `host`, over
 * TLS (for `crew lsp --port --host H`); a loopback or undefined host keeps them on loopback.
 */
export function serveCdpBeyondLoopback(host: string | undefined): void {
  beyondLoopback = host && !isLoopback(host) ? host : undefined;
}

/** What the endpoint needs of its pool (WorkerPool is one). */
export interface CdpPool {
  readonly audit: Pick<Audit, 'log'>;
  link(id: string): WorkerLink | undefined;
  on(event: 'cdp', listener: (link: WorkerLink, message: CdpToMaster) => void): unknown;
  on(event: 'workers-changed', listener: () => void): unknown;
  onClose(cleanup: () => Promise<void> | void): void;
}

/** A pool's debugger endpoint, started the first time a debugger asks for an address. */
export class CdpEndpoint {
  private proxy?: Promise<CdpProxy>;

  constructor(private readonly pool: CdpPool) {}

  /** A one-time address for a debugger to attach to worker `workerId`'s eval thread. */
  async address(workerId: string): Promise<string> {
    const link = this.pool.link(workerId);
    if (!link || link.state === 'closed')
      throw crewError(ErrorCodes.UnknownWorker, `there is no worker ${workerId} to attach a debugger to`);
    this.proxy ??= CdpProxy.start(this.pool);
    return (await this.proxy).address(link.id);
  }
}

/** A one-time address for a debugger to attach to worker `workerId`'s eval thread. */
export function cdpAddress(pool: { readonly cdp: CdpEndpoint }, workerId: string): Promise<string> {
  return pool.cdp.address(workerId);
}

/** The HTTP answer to a refused upgrade. */
type Verdict = (ok: boolean, status?: number, message?: string) => void;

class CdpProxy {
  /** One-time tokens by value, oldest first. */
  private readonly tokens = new Map<string, { worker: string; expires: number }>();
  /** The link each upgrade that passed its check is for, until its connection is made. */
  private readonly granted = new WeakMap<IncomingMessage, WorkerLink>();
  private readonly debuggers = new Map<number, { ws: WebSocket; link: WorkerLink }>();
  private nextDebuggerId = 1;

  private constructor(
    private readonly pool: CdpPool,
    private readonly wss: WebSocketServer,
    private readonly port: number,
    /** `wss://host` and the certificate's pin when reachable from other hosts, else `ws://127.0.0.1`. */
    private readonly origin: { base: string; pin: string },
  ) {
    pool.on('cdp', (link, m) => this.fromWorker(link, m));
    pool.on('workers-changed', () => {
      for (const [debuggerId, s] of this.debuggers)
        if (s.link.state === 'closed') this.end(debuggerId, 'the worker went away');
    });
    pool.onClose(() => {
      for (const debuggerId of [...this.debuggers.keys()]) this.end(debuggerId, 'the pool closed');
      return new Promise<void>((resolve) => this.wss.close(() => resolve()));
    });
    wss.on('connection', (ws, req) => this.accept(ws, req));
  }

  static async start(pool: CdpPool): Promise<CdpProxy> {
    let proxy: CdpProxy | undefined;
    const host = beyondLoopback ?? '127.0.0.1';
    const verifyClient = ({ req }: { req: IncomingMessage }, verdict: Verdict) =>
      proxy ? proxy.verify(req, verdict) : verdict(false, 503, 'the debugger endpoint is starting');
    const options = { maxPayload: Defaults.maxCdpMessageBytes, verifyClient };
    let origin = { base: 'ws://127.0.0.1', pin: '' };
    let wss: WebSocketServer;
    if (beyondLoopback) {
      const { cert, key } = listenerCertificate();
      const server = createHttpsServer({ cert, key, minVersion: 'TLSv1.3' });
      server.on('tlsClientError', (err: Error, socket) =>
        pool.audit.log('refused', {
          cdp: `${socket.remoteAddress}:${socket.remotePort}`,
          reason: `TLS: ${err.message}`,
        }),
      );
      wss = new WebSocketServer({ ...options, server });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, resolve);
      });
      // ws leaves a server it was given open; the pool's close ends it and its connections.
      pool.onClose(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      );
      const pin = new X509Certificate(cert).fingerprint256.replace(/:/g, '');
      origin = { base: `wss://${host.includes(':') ? `[${host}]` : host}`, pin: `#sha256=${pin}` };
    } else {
      wss = new WebSocketServer({ ...options, host, port: 0 });
      await new Promise<void>((resolve, reject) => {
        wss.once('listening', resolve);
        wss.once('error', reject);
      });
    }
    const port = (wss.address() as { port: number }).port;
    pool.audit.log('listen', { cdp: `${host}:${port}`, tls: beyondLoopback ? true : undefined });
    return (proxy = new CdpProxy(pool, wss, port, origin));
  }

  address(worker: string): string {
    this.purge();
    // An editor asks for one address per attachment; one that asks without end keeps only the newest.
    while (this.tokens.size >= Defaults.maxCdpTokens) this.tokens.delete(this.tokens.keys().next().value!);
    const token = randomBytes(24).toString('hex');
    this.tokens.set(token, { worker, expires: Date.now() + TOKEN_TTL_MS });
    return `${this.origin.base}:${this.port}/crew/${worker}/${token}${this.origin.pin}`;
  }

  /** Drops the tokens whose time is up. */
  private purge(): void {
    const now = Date.now();
    for (const [token, grant] of this.tokens) if (grant.expires <= now) this.tokens.delete(token);
  }

  /** Checks an upgrade's token before any WebSocket exists; a token is good for one attempt. */
  private verify(req: IncomingMessage, verdict: Verdict): void {
    this.purge();
    const m = /^\/crew\/([^/]+)\/([0-9a-f]+)$/.exec(req.url ?? '');
    const grant = m ? this.tokens.get(m[2]) : undefined;
    if (m && grant) this.tokens.delete(m[2]);
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (!grant || grant.worker !== m![1]) {
      this.pool.audit.log('refused', { cdp: peer, reason: 'unknown, used or expired debugger token' });
      return verdict(false, 401, 'unknown, used or expired token: ask the editor for a new address');
    }
    const link = this.pool.link(grant.worker);
    if (!link || link.state === 'closed') {
      this.pool.audit.log('refused', { cdp: peer, reason: `worker ${grant.worker} is gone` });
      return verdict(false, 410, `worker ${grant.worker} is gone`);
    }
    this.granted.set(req, link);
    verdict(true);
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const link = this.granted.get(req);
    this.granted.delete(req);
    // The worker may have gone between the check and the upgrade.
    if (!link || link.state === 'closed') return ws.close(1011, 'the worker went away');
    const debuggerId = this.nextDebuggerId++;
    this.debuggers.set(debuggerId, { ws, link });
    this.pool.audit.log('connect', { cdp: debuggerId, worker: link.id });
    link.transport.send({ t: 'cdpOpen', debuggerId });
    ws.on('message', (data) => link.transport.send({ t: 'cdpMessage', debuggerId, message: String(data) }));
    ws.on('close', () => {
      if (!this.debuggers.delete(debuggerId)) return;
      link.transport.send({ t: 'cdpClose', debuggerId });
    });
    // ws has already begun closing (1009 for a message over the limit); it ends the socket itself.
    ws.on('error', (err) => this.pool.audit.log('bad-frame', { cdp: debuggerId, error: err.message }));
  }

  private fromWorker(link: WorkerLink, m: CdpToMaster): void {
    const s = this.debuggers.get(m.debuggerId);
    if (!s || s.link !== link) return;
    if (m.t === 'cdpMessage') s.ws.send(m.message);
    else this.end(m.debuggerId, m.reason ?? 'closed by the worker');
  }

  private end(debuggerId: number, reason: string): void {
    const s = this.debuggers.get(debuggerId);
    if (!s) return;
    this.debuggers.delete(debuggerId);
    s.ws.close(1000, closeReason(reason));
  }
}
