/**
 * TLS for links that are a bare TCP stream rather than a WebSocket: the editor's link to
 * `crew lsp --port`. There the master speaks first (its challenge), so it cannot wait for the
 * first byte to tell TLS from plain TCP as a WebSocket listener does; each end decides by
 * where the other is instead. A peer beyond loopback uses TLS, one on loopback plain TCP,
 * unless `--tls` (TLS for all) or `--no-tls` (plain for all). The handshake over the stream is
 * bound to the TLS channel as the worker handshake is (tls-channel.ts).
 */
import { connect as tlsConnect, TLSSocket, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import { crewError, ErrorCodes, type CrewError } from '../errors';
import { dialPlan, plainAllowed, type DialTls, type PlainFrom } from './tls-policy';

/** Waits for a TLS socket's handshake; rejects naming the peer and the cause. */
function secured(socket: TLSSocket, event: 'secure' | 'secureConnect', peer: string, timeoutMs: number) {
  return new Promise<TLSSocket>((resolve, reject) => {
    const fail = (e: CrewError) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    const timer = setTimeout(
      () => fail(crewError(ErrorCodes.HandshakeTimeout, `${peer} did not finish TLS within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once(event, () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err: Error & { code?: string }) => {
      const plain = /WRONG_VERSION_NUMBER|wrong version number|PACKET_LENGTH_TOO_LONG/i.test(
        `${err.code} ${err.message}`,
      );
      fail(
        crewError(
          ErrorCodes.ConnectFailed,
          plain
            ? `${peer} speaks plain TCP and this end TLS: it runs with --no-tls, or is an older Crew`
            : `${peer}: TLS failed (${err.code ?? err.message})`,
        ),
      );
    });
  });
}

/**
 * The listening end: the socket to speak on, TLS (answering with `context`) or the plain one,
 * as `plainFrom` says for this peer's address.
 */
export async function acceptStream(
  raw: Socket,
  plainFrom: PlainFrom,
  context: () => SecureContext,
  peer: string,
  timeoutMs: number,
): Promise<Socket> {
  if (plainAllowed(plainFrom, raw.remoteAddress)) return raw;
  const secure = new TLSSocket(raw, { isServer: true, secureContext: context() });
  return secured(secure, 'secure', peer, timeoutMs);
}

/** The dialing end: the socket to speak on, TLS to a host beyond loopback unless told. */
export async function dialStream(
  raw: Socket,
  host: string,
  choice: DialTls | undefined,
  peer: string,
  timeoutMs: number,
): Promise<Socket> {
  const plan = dialPlan(host, choice);
  if (!plan.tls) return raw;
  const secure = tlsConnect({
    socket: raw,
    ca: plan.tls.ca,
    rejectUnauthorized: plan.tls.rejectUnauthorized ?? true,
    servername: plan.tls.servername,
    minVersion: 'TLSv1.3',
  });
  return secured(secure, 'secureConnect', peer, timeoutMs);
}
