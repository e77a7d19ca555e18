/**
 * Where WebSockets are made: a listening server (plain `ws` or `wss` with a certificate and
 * key) and a dialer (with a CA and `rejectUnauthorized` for `wss`). Both ends of every link
 * come through here, so the pre-authentication limits hold everywhere: small frames until
 * the handshake is done, and a deadline for a peer that connects and then says nothing.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { Audit } from '../audit';
import { crewError, ErrorCodes } from '../errors';
import { Defaults } from '../limits';
import { WsLink } from './ws-link';

/** Certificate and key (PEM text or bytes) for a side that listens with TLS (`wss`). */
export interface TlsListenOptions {
  cert: string | Buffer;
  key: string | Buffer;
}

/** How a dialer checks a `wss` listener. Giving this object at all means "dial with TLS". */
export interface TlsDialOptions {
  /** Certificates to trust besides the system's, e.g. a self-signed one (PEM). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Refuse a certificate that does not verify (default true). Turn off only for tests. */
  rejectUnauthorized?: boolean;
  /** Name to check the certificate against, when it differs from the host dialed. */
  servername?: string;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** Largest frame after authentication; the link raises its limit to this once open. */
  maxFrameBytes?: number;
  /** Deadline for a peer to upgrade and finish the handshake. */
  handshakeTimeoutMs?: number;
  tls?: TlsListenOptions;
  audit: Audit;
  /** How the listener is named in the audit trail ("worker", "master"). */
  who: string;
}

export interface Listener {
  port: number;
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
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: timeoutMs })
    : createHttpServer();
  server.headersTimeout = timeoutMs;
  server.requestTimeout = timeoutMs;
  const deadlines = new WeakMap<Socket, NodeJS.Timeout>();
  // A hard deadline, not an idle timeout: a peer dribbling one byte a second must not stay.
  server.on(opts.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), timeoutMs + 1000);
    timer.unref();
    deadlines.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    opts.audit.log('bad-frame', {
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
      error: `not an HTTP upgrade: ${err.code ?? err.message}`,
    });
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n' +
          `This port speaks Crew over WebSocket (${err.code ?? 'bad request'})\n`,
      );
    else socket.destroy();
  });
  server.on('tlsClientError', (err: Error, socket: Socket) => {
    opts.audit.log('refused', { peer: `${socket.remoteAddress}:${socket.remotePort}`, reason: `TLS: ${err.message}` });
  });
  server.on('request', (req, res) => {
    opts.audit.log('bad-frame', {
      peer: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      error: `plain HTTP ${req.method} ${req.url?.slice(0, 80)}`,
    });
    res
      .writeHead(426, { 'content-type': 'text/plain', connection: 'close' })
      .end(`This port speaks Crew over WebSocket only; it is a Crew ${opts.who}.\n`);
  });
  const wss = new WebSocketServer({ server, maxPayload: Defaults.maxHandshakeFrameBytes });
  wss.on('connection', (ws, req) => {
    const timer = deadlines.get(req.socket);
    if (timer) clearTimeout(timer);
    const link = new WsLink(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
    link.maxFrameBytes = opts.maxFrameBytes ?? Defaults.maxFrameBytes;
    onLink(link, req);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(crewError(ErrorCodes.ConnectFailed, `cannot listen on ${opts.host}:${opts.port}: ${err.message}`)),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        wss.close();
        server.close(() => resolve());
        // Sockets still in the HTTP phase would hold close() open until their deadline.
        server.closeIdleConnections();
      }),
  };
}

export interface DialOptions {
  maxFrameBytes?: number;
  handshakeTimeoutMs?: number;
  /** Dial with TLS (`wss`), checking the listener's certificate as told. */
  tls?: TlsDialOptions;
}

/** Opens a link to `address` (`host:port`); the caller runs the dialing handshake on it. */
export function dial(address: string, opts: DialOptions = {}): WsLink {
  const url = `${opts.tls ? 'wss' : 'ws'}://${address}/`;
  const ws = new WebSocket(url, {
    maxPayload: Defaults.maxHandshakeFrameBytes,
    handshakeTimeout: opts.handshakeTimeoutMs ?? Defaults.handshakeTimeoutMs,
    ...(opts.tls ? { ca: opts.tls.ca, rejectUnauthorized: opts.tls.rejectUnauthorized ?? true } : {}),
    ...(opts.tls?.servername ? { servername: opts.tls.servername } : {}),
  });
  const link = new WsLink(ws, address);
  link.maxFrameBytes = opts.maxFrameBytes ?? Defaults.maxFrameBytes;
  return link;
}
