/**
 * The two ways the extension reaches a master: start `crew lsp --stdio` as a child process,
 * or dial a running `crew lsp --port` and authenticate with the shared secret before any LSP
 * message, as SLIME's `slime-connect` does.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { StreamInfo } from 'vscode-languageclient/node';
import { parseHostPort } from '../protocol/address';
import { dialLspAuth } from '../protocol/link/lsp-handshake';
import { sealedStream } from '../protocol/link/sealed-stream';
import type { TlsChoice } from '../protocol/link/tls-policy';
import { dialStream } from '../protocol/link/tls-stream';
import { Defaults } from '../protocol/limits';
import { resolveSecret } from '../protocol/secret';
import type { CrewSettings } from './config';

/**
 * Starts the configured crew CLI as a master that speaks LSP on its stdio. What it writes
 * to stderr goes to `onStderr`, so a crash can be explained.
 */
export function spawnMaster(cfg: CrewSettings, onStderr: (text: string) => void): ChildProcess {
  const args = ['lsp', '--stdio', `--clientProcessId=${process.pid}`];
  if (cfg.secretFile) args.push('--secret-file', cfg.secretFile);
  if (cfg.workerHost) args.push('--worker-host', cfg.workerHost);
  // fork runs the extension host's own runtime; in Electron, ELECTRON_RUN_AS_NODE makes it Node.
  const child = fork(cfg.serverPath, args, {
    silent: true,
    execArgv: [],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  child.stderr?.on('data', (d: Buffer) => onStderr(d.toString()));
  return child;
}

/**
 * Connects to `crew lsp --port` at `address` and authenticates. A master beyond loopback is
 * reached over TLS, with no certificate to check: the handshake proves it knows the secret
 * over this very TLS channel (`tls` overrides: `on`, or `off` for a master with --no-tls).
 * The socket is left paused: data waits in it until the language client's reader listens.
 */
export async function dialMaster(
  address: string,
  secretFile: string | undefined,
  tls?: TlsChoice,
): Promise<StreamInfo> {
  const { host, port } = parseHostPort(address);
  const secret = resolveSecret({ secretFile });
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, host, () => resolve(s));
    s.once('error', (err) =>
      reject(
        new Error(`cannot reach a master at ${address}: ${err.message}. Is \`crew lsp --port ${port}\` running there?`),
      ),
    );
  });
  const link = await dialStream(socket, host, tls, address, Defaults.handshakeTimeoutMs);
  const keys = await dialLspAuth(link, secret, address);
  // Every message after the handshake is authenticated both ways, as the master expects.
  const stream = sealedStream(link, keys);
  return { reader: stream, writer: stream };
}
