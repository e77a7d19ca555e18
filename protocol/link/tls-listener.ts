/**
 * One port for TLS and plain TCP: the first byte of a connection tells them apart (a TLS record
 * starts with 0x16, an HTTP request with a letter). TLS is always accepted; plain TCP only from
 * whom the listener's plan allows, and anyone else is told, in HTTP they can read, that this
 * port wants TLS. Every refusal names the peer's address, read before anything can close it.
 */
import type { Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Audit } from '../audit';
import { plainAllowed, type PlainFrom } from './tls-policy';

/** The first byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;

/** What the listener knows of each connection it hands to HTTP. */
export interface Accepted {
  /** `address:port`, as the audit trail names the peer. */
  peer: string;
  /** The hard deadline to upgrade and authenticate; cleared once the link is made. */
  timer: NodeJS.Timeout;
  /** The TCP socket under it, which close() ends while it is still unauthenticated. */
  raw: Socket;
}

export interface RouterOptions {
  /** Where both kinds of connection go once sorted (TLS ones decrypted). */
  http: Server;
  plainFrom: PlainFrom;
  /** The listener's TLS context; called at the first TLS connection when not made before. */
  secureContext: () => SecureContext;
  /** A peer must upgrade and finish the handshake within this, from its first byte. */
  deadlineMs: number;
  audit: Audit;
  who: string;
}

export interface Router {
  server: NetServer;
  /** The connection `socket` (plain or TLS) as accepted; undefined for one not from here. */
  accepted(socket: Socket): Accepted | undefined;
  /** Forgets a connection that became a link: close() leaves it to its owner. */
  adopted(socket: Socket): void;
  /** Ends every connection not yet a link. */
  endPending(): void;
}

/** Makes the TCP server that sorts connections into TLS and plain and hands them to `http`. */
export function tlsRouter(opts: RouterOptions): Router {
  const accepted = new WeakMap<Socket, Accepted>();
  const pending = new Set<Socket>();
  const server = createNetServer((raw) => {
    const peer = `${raw.remoteAddress}:${raw.remotePort}`;
    const timer = setTimeout(() => raw.destroy(), opts.deadlineMs);
    timer.unref();
    pending.add(raw);
    // Errors before HTTP takes the socket (a reset, a TLS alert) are the peer's; HTTP adds its own.
    raw.on('error', () => undefined);
    raw.once('close', () => {
      clearTimeout(timer);
      pending.delete(raw);
    });
    const info: Accepted = { peer, timer, raw };
    raw.once('data', (first: Buffer) => {
      raw.pause();
      raw.unshift(first);
      if (first[0] === TLS_HANDSHAKE) startTls(raw, info);
      else if (plainAllowed(opts.plainFrom, raw.remoteAddress)) {
        accepted.set(raw, info);
        opts.http.emit('connection', raw);
      } else return refusePlain(raw, peer);
      process.nextTick(() => raw.resume());
    });
  });

  function startTls(raw: Socket, info: Accepted): void {
    let context: SecureContext;
    try {
      context = opts.secureContext();
    } catch (err) {
      opts.audit.log('error', { peer: info.peer, tls: `no certificate to answer with: ${(err as Error).message}` });
      raw.destroy();
      return;
    }
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    let secured = false;
    secure.once('secure', () => {
      secured = true;
      accepted.set(secure, info);
      opts.http.emit('connection', secure);
    });
    secure.on('error', (err: Error & { code?: string }) => {
      if (secured) return;
      opts.audit.log('refused', { peer: info.peer, reason: `its TLS handshake failed: ${err.code ?? err.message}` });
      secure.destroy();
    });
  }

  function refusePlain(raw: Socket, peer: string): void {
    const why =
      opts.plainFrom === 'nobody'
        ? `this ${opts.who} takes TLS connections only (--tls, or a certificate of the user's)`
        : `this ${opts.who} takes plain TCP from loopback only, and TLS from other hosts`;
    opts.audit.log('refused', {
      peer,
      reason: `it speaks plain TCP and ${why}: the peer was started with --no-tls, or is an older Crew`,
    });
    raw.end(
      'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n' +
        `This port speaks Crew over TLS: ${why}.\n`,
    );
  }

  return {
    server,
    accepted: (socket) => accepted.get(socket),
    adopted: (socket) => {
      const info = accepted.get(socket);
      if (!info) return;
      clearTimeout(info.timer);
      pending.delete(info.raw);
    },
    endPending: () => {
      for (const raw of pending) raw.destroy();
    },
  };
}
