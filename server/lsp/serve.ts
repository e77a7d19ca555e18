/**
 * The two ways editors reach the master: LSP on this process's stdio (the editor started
 * it), or over TCP, where each connection first proves it knows the shared secret.
 */
import { createServer, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Writable } from 'node:stream';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import { isLoopback } from '../../protocol/address';
import type { Audit } from '../../protocol/audit';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { Defaults } from '../../protocol/limits';
import { acceptLspAuth } from '../../protocol/link/lsp-handshake';
import { sealedStream } from '../../protocol/link/sealed-stream';
import { listenerCertificate } from '../../protocol/link/tls-certificate';
import { warnPlain } from '../../protocol/link/tls-mismatch';
import { listenPlan, type TlsChoice } from '../../protocol/link/tls-policy';
import { acceptStream } from '../../protocol/link/tls-stream';
import { serveConnection } from './connection';
import type { LspMaster } from './lsp-master';

/** Serves one editor on stdin/stdout and exits when it leaves. */
export function serveStdio(master: LspMaster, editorPid?: number): void {
  const lspOut = process.stdout;
  const writeLsp = lspOut.write.bind(lspOut) as (chunk: Buffer | string, cb: (err?: Error | null) => void) => boolean;
  // stdout now belongs to LSP: anything else that prints (a library, a stray console.log)
  // goes to stderr, which the editor shows in its log, instead of corrupting the stream.
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeLsp(chunk, (err) => callback(err ?? null));
    },
  });
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    void master.close().finally(() => process.exit(code));
  };
  serveConnection(master, new StreamMessageReader(process.stdin), new StreamMessageWriter(out), {
    onExit: exit,
    watchEditorProcess: true,
  });
  process.stdin.on('end', () => exit(0)).on('close', () => exit(0));
  if (editorPid !== undefined) {
    setInterval(() => {
      try {
        process.kill(editorPid, 0);
      } catch {
        exit(1);
      }
    }, 3000).unref();
  }
}

export interface TcpOptions {
  host: string;
  port: number;
  secret: Buffer;
  /** Whether the secret was given explicitly (needed to listen beyond loopback). */
  secretGiven: boolean;
  audit: Audit;
  /** TLS: `auto` (default: editors beyond loopback use TLS), `on` (all), `off` (none, warned). */
  tls?: TlsChoice;
}

/** Refuses to serve editors beyond loopback with only the generated default secret. */
export function checkListen(host: string, secretGiven: boolean): void {
  if (!isLoopback(host) && !secretGiven) {
    throw crewError(
      ErrorCodes.InsecureListen,
      `refusing to listen on ${host} without a secret: give --secret-file or CREW_SECRET, or listen on 127.0.0.1`,
    );
  }
}

/** Listens for editors; resolves with the port once listening. */
export async function serveTcp(master: LspMaster, opts: TcpOptions): Promise<{ port: number; close(): Promise<void> }> {
  checkListen(opts.host, opts.secretGiven);
  const plan = listenPlan(opts.host, opts.tls);
  if (plan.warning) warnPlain(plan.warning, opts.audit);
  let context: SecureContext | undefined;
  // The listener's own certificate, made or read from the cache once an editor needs TLS.
  const secureContext = (): SecureContext => {
    if (context) return context;
    const { cert, key } = listenerCertificate();
    return (context = createSecureContext({ cert, key, minVersion: 'TLSv1.3' }));
  };
  if (plan.eager) secureContext();
  const sockets = new Set<Socket>();
  const server = createServer((raw) => {
    const peer = `${raw.remoteAddress}:${raw.remotePort}`;
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => undefined);
    let tls = false;
    acceptStream(raw, plan.plainFrom, secureContext, peer, Defaults.handshakeTimeoutMs)
      .then((socket) => {
        tls = socket !== raw;
        socket.on('error', () => undefined);
        return acceptLspAuth(socket, opts.secret, peer).then((keys) => ({ socket, keys }));
      })
      .then(
        ({ socket, keys }) => {
          opts.audit.log('connect', { editor: peer, tls: tls || undefined });
          // Every message after the handshake is authenticated: a relay cannot speak for the editor.
          const stream = sealedStream(socket, keys, (err) =>
            opts.audit.log('bad-frame', { editor: peer, error: err.message }),
          );
          const served = serveConnection(master, new StreamMessageReader(stream), new StreamMessageWriter(stream), {
            onExit: () => socket.end(),
            watchEditorProcess: false,
          });
          socket.on('close', () => {
            opts.audit.log('disconnect', { editor: peer });
            served.dispose();
          });
        },
        (err: Error) => opts.audit.log('refused', { editor: peer, reason: err.message }),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        crewError(ErrorCodes.ConnectFailed, `cannot listen for editors on ${opts.host}:${opts.port}: ${err.message}`),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  opts.audit.log('listen', { editors: `${opts.host}:${port}` });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
