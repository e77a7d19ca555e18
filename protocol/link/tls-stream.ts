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

/** How long a listener that wants TLS waits for a ClientHello: a dialer sends it at once. */
const CLIENT_HELLO_MS = 1000;

/**
 * Waits for the peer's first bytes; resolves when they open a TLS handshake (put back for TLS
 * to read), rejects when they do not or none come: a plain dialer waits for the listener to
 * speak, and is told in its own protocol (a `refused` JSON line) why it gets no challenge.
 */
function clientHello(raw: Socket, peer: string, why: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const refuse = () => {
      raw.off('data', onData);
      const message = `this master takes TLS only from ${why}, and ${peer} spoke plain TCP: dial it with TLS`;
      raw.end(JSON.stringify({ t: 'refused', code: ErrorCodes.ConnectFailed, message }) + '\n');
      reject(crewError(ErrorCodes.ConnectFailed, `${peer} speaks plain TCP and this end TLS (${why} only)`));
    };
    const timer = setTimeout(refuse, CLIENT_HELLO_MS);
    const onData = (first: Buffer) => {
      clearTimeout(timer);
      raw.pause();
      raw.unshift(first);
      if (first[0] === 0x16) resolve();
      else refuse();
    };
    raw.once('data', onData);
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
  await clientHello(raw, peer, plainFrom === 'nobody' ? 'every editor (--tls)' : 'editors on other hosts');
  const secure = new TLSSocket(raw, { isServer: true, secureContext: context() });
  process.nextTick(() => raw.resume());
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
