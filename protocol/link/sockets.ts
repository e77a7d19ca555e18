/**
 * Where WebSockets are made: a listening server, and a dialer. Both ends of every link come
 * through here, so two things hold everywhere. TLS is used when an end is beyond loopback
 * (tls-policy.ts), with the channel bound into the handshake (tls-channel.ts); and the
 * pre-authentication limits: small frames until the handshake is done, and a deadline for a
 * peer that connects and then says nothing.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import WebSocket, { WebSocketServer } from 'ws';
import { parseHostPort } from '../address';
import type { Audit } from '../audit';
import { crewError, ErrorCodes } from '../errors';
import { Defaults } from '../limits';
import { TAG_BYTES } from './frame-seal';
import { listenerCertificate } from './tls-certificate';
import { channelOf } from './tls-channel';
import { tlsRouter } from './tls-listener';
import { explainDialError, warnPlain } from './tls-mismatch';
import { dialPlan, listenPlan, type DialTls, type ListenTls } from './tls-policy';
import { WsLink } from './ws-link';

export type { DialTls, ListenTls, TlsChoice, TlsDialOptions, TlsListenOptions } from './tls-policy';

export interface ListenOptions {
  host: string;
  port: number;
  /** Largest frame after authentication; before it, the peer may send Defaults.maxHandshakeBytes in all. */
  maxFrameBytes?: number;
  /** Deadline for a peer to upgrade and finish the handshake. */
  handshakeTimeoutMs?: number;
  /** TLS: `auto` (default), `on`, `off`, or the user's certificate (tls-policy.ts). */
  tls?: ListenTls;
  audit: Audit;
  /** How the listener is named in the audit trail ("worker", "master"). */
  who: string;
}

export interface Listener {
  port: number;
  /**
   * For the audit trail: when TLS is required (`only`, `beyond-loopback`, or `optional` with
   * --no-tls), and where the certificate came from.
   */
  tls: { required: 'only' | 'beyond-loopback' | 'optional'; cert: string };
  /** Stops accepting; connections already made are the caller's to close. */
  close(): Promise<void>;
}

/**
 * Listens for Crew links. Each upgraded connection becomes a {@link WsLink} still in its
 * handshake phase; `onLink` must authenticate it. A peer that is not a WebSocket client
 * gets an HTTP error naming the cause, and an audit entry.
 */
export async function listen(
  opts: ListenOptions,
  onLink: (link: WsLink, req: IncomingMessage) => void,
): Promise<Listener> {
  const timeoutMs = opts.handshakeTimeoutMs ?? Defaults.handshakeTimeoutMs;
  const plan = listenPlan(opts.host, opts.tls);
  let context: SecureContext | undefined;
  let certSource = 'given';
  const secureContext = (): SecureContext => {
    if (context) return context;
    let pair = plan.cert;
    if (pair === 'made') {
      const made = listenerCertificate();
      certSource = made.source;
      pair = made;
    }
    context = createSecureContext({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.3' });
    return context;
  };
  if (plan.eager) secureContext();
  if (plan.warning) warnPlain(plan.warning, opts.audit);
  const server = createHttpServer();
  // A hard deadline from the first byte, not an idle timeout: a peer dribbling one byte a
  // second must not stay.
  const router = tlsRouter({
    http: server,
    plainFrom: plan.plainFrom,
    secureContext,
    deadlineMs: timeoutMs + 1000,
    audit: opts.audit,
    who: opts.who,
  });
  const peerOf = (socket: Socket) => router.accepted(socket)?.peer ?? `${socket.remoteAddress}:${socket.remotePort}`;
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    opts.audit.log('bad-frame', { peer: peerOf(socket), error: `not an HTTP upgrade: ${err.code ?? err.message}` });
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n' +
          `This port speaks Crew over WebSocket (${err.code ?? 'bad request'})\n`,
      );
    else socket.destroy();
  });
  server.on('request', (req, res) => {
    opts.audit.log('bad-frame', {
      peer: peerOf(req.socket),
      error: `plain HTTP ${req.method} ${req.url?.slice(0, 80)}`,
    });
    res
      .writeHead(426, { 'content-type': 'text/plain', connection: 'close' })
      .end(`This port speaks Crew over WebSocket only; it is a Crew ${opts.who}.\n`);
  });
  const wss = new WebSocketServer({ server, maxPayload: sealedFrameLimit(opts.maxFrameBytes) });
  wss.on('connection', (ws, req) => {
    router.adopted(req.socket);
    const link = new WsLink(ws, peerOf(req.socket));
    link.channel = channelOf(req.socket);
    link.limitUntilOpen(req.socket, Defaults.maxHandshakeBytes);
    onLink(link, req);
  });
  await new Promise<void>((resolve, reject) => {
    router.server.once('error', (err) =>
      reject(crewError(ErrorCodes.ConnectFailed, `cannot listen on ${opts.host}:${opts.port}: ${err.message}`)),
    );
    router.server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (router.server.address() as { port: number }).port;
  return {
    port,
    tls: {
      required: ({ nobody: 'only', loopback: 'beyond-loopback', any: 'optional' } as const)[plan.plainFrom],
      cert: context ? certSource : plan.cert === 'made' ? 'made at first use' : 'given',
    },
    close: () =>
      new Promise<void>((resolve) => {
        wss.close();
        router.server.close(() => resolve());
        // Sockets still before their upgrade would hold close() open until their deadline.
        router.endPending();
      }),
  };
}

export interface DialOptions {
  maxFrameBytes?: number;
  handshakeTimeoutMs?: number;
  /** TLS: `auto` (default), `on`, `off`, or a certificate check of the user's (tls-policy.ts). */
  tls?: DialTls;
  /** Where a warning about plain TCP beyond loopback goes, besides the terminal. */
  auditTrail?: Audit;
}

/** Opens a link to `address` (`host:port`); the caller runs the dialing handshake on it. */
export function dial(address: string, opts: DialOptions = {}): WsLink {
  const plan = dialPlan(parseHostPort(address).host, opts.tls);
  if (plan.warning) warnPlain(plan.warning, opts.auditTrail, address);
  const tls = plan.tls;
  const ws = new WebSocket(`${tls ? 'wss' : 'ws'}://${address}/`, {
    maxPayload: sealedFrameLimit(opts.maxFrameBytes),
    handshakeTimeout: opts.handshakeTimeoutMs ?? Defaults.handshakeTimeoutMs,
    ...(tls ? { ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized ?? true, minVersion: 'TLSv1.3' as const } : {}),
    ...(tls?.servername ? { servername: tls.servername } : {}),
  });
  // Before the link's own listener, which ends the link with the error's message.
  ws.on('error', (err: Error) => {
    const why = explainDialError(err, address, !!tls);
    if (why) err.message = why;
  });
  const link = new WsLink(ws, address);
  ws.on('upgrade', (res: IncomingMessage) => {
    link.channel = channelOf(res.socket);
    // Counted from 'open', once ws reads the socket: its first reads would come before ws's.
    ws.once('open', () => link.limitUntilOpen(res.socket, Defaults.maxHandshakeBytes));
  });
  return link;
}

/**
 * ws's `maxPayload` for a link: the frame limit and the tag that seals each frame. It holds
 * from the first frame; before authentication the link's own count of bytes is the bound.
 */
function sealedFrameLimit(maxFrameBytes = Defaults.maxFrameBytes): number {
  return maxFrameBytes + TAG_BYTES;
}
