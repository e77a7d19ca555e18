/**
 * VS Code's debugger (js-debug) attaches to a `ws://` address and checks no certificate. A
 * master that editors reach from other hosts hands out `wss://` debugger addresses that name
 * its certificate's SHA-256 (`#sha256=`), learnt over the editor's authenticated link. For
 * those, this starts a relay on the editor's loopback: js-debug attaches to it, and it dials
 * the master over TLS, checking the certificate against the pin before it sends anything (the
 * one-time token is in the request), so a man in the middle learns no token.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { parseHostPort } from '../../protocol/address';

/** How long a relay waits for js-debug: as long as the master keeps the token. */
const UNUSED_MS = 60_000;
/** Close codes one end of a WebSocket may send on; others (1005, 1006) become 1000. */
const sendable = (code: number) => [1000, 1001, 1008, 1009, 1011].includes(code) || (code >= 3000 && code < 5000);

/** The host of the master the client is attached to (`CrewClient.where`), or loopback. */
export function masterHost(where: string): string {
  return where === 'local' ? '127.0.0.1' : parseHostPort(where).host;
}

/** A debugger address js-debug can use, and how to stop the relay behind it (if any). */
export interface DebuggerAddress {
  address: string;
  close(): void;
}

/** A TLS connection to `host:port` whose certificate's SHA-256 is `pin` (hex), or a rejection. */
function pinnedTls(host: string, port: number, pin: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // The pin replaces a certificate authority: the certificate is the master's own, self-signed.
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
    socket.once('secureConnect', () => {
      const seen = socket.getPeerCertificate().fingerprint256?.replace(/:/g, '');
      if (seen?.toUpperCase() === pin.toUpperCase()) return resolve(socket);
      socket.destroy();
      reject(
        new Error(
          `the debugger endpoint at ${host}:${port} showed another certificate than the master named over ` +
            'its authenticated link: a man in the middle, or another process on that port',
        ),
      );
    });
    socket.once('error', reject);
  });
}

/**
 * The address to give js-debug for `websocketAddress`: itself when it is plain `ws://` (a
 * master on this host), else a loopback relay to the pinned `wss://` endpoint. `masterHost` is
 * the host this editor reached the master at, used where the endpoint names an unspecified
 * address (`0.0.0.0`, `::`).
 */
export async function debuggerAddress(websocketAddress: string, masterHost: string): Promise<DebuggerAddress> {
  const url = new URL(websocketAddress);
  const pin = /^#sha256=([0-9A-Fa-f]{64})$/.exec(url.hash)?.[1];
  if (url.protocol !== 'wss:' || !pin) return { address: websocketAddress, close: () => undefined };
  const host = ['0.0.0.0', '[::]'].includes(url.hostname) ? masterHost : url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port);
  const relay = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => relay.once('listening', resolve).once('error', reject));
  // One debugger per token: the relay closes once its connection ends, or if none comes.
  const unused = setTimeout(() => relay.close(), UNUSED_MS);
  unused.unref();
  relay.on('connection', (local) => {
    clearTimeout(unused);
    local.on('close', () => relay.close());
    // js-debug's messages wait until the master's end is open.
    const early: WebSocket.RawData[] = [];
    local.on('message', (d) => early.push(d));
    pinnedTls(host, port, pin).then(
      (socket) => {
        const remote = new WebSocket(`wss://${url.host}${url.pathname}`, { createConnection: () => socket });
        remote.on('open', () => {
          local.removeAllListeners('message');
          for (const d of early.splice(0)) remote.send(d);
          local.on('message', (d, binary) => remote.send(d, { binary }));
        });
        remote.on('message', (d, binary) => local.send(d, { binary }));
        remote.on('close', (code, reason) => local.close(sendable(code) ? code : 1000, reason));
        remote.on('error', (err) => local.close(1011, err.message.slice(0, 120)));
        local.on('close', () => remote.close());
      },
      (err: Error) => local.close(1011, err.message.slice(0, 120)),
    );
  });
  const { port: localPort } = relay.address() as AddressInfo;
  return { address: `ws://127.0.0.1:${localPort}${url.pathname}`, close: () => relay.close() };
}
