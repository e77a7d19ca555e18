/** `crew` options for the link (TLS, handshake time, frame size), shared by master and worker. */
import { readFileSync } from 'node:fs';
import type { TlsDialOptions, TlsListenOptions } from '../../protocol/link/sockets';
import { UsageError, type Options } from './cli-common';

export const linkCliOptions = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  tls: { type: 'boolean' },
  'handshake-timeout': { type: 'string' },
  'max-frame-bytes': { type: 'string' },
} as const satisfies Options;

export const LINK_HELP = `  --tls-cert F --tls-key F  Listen with TLS (wss) using this PEM certificate and key
  --tls                  Dial with TLS (wss), trusting the system's certificates
  --tls-ca F             Dial with TLS, also trusting the PEM certificate(s) in F
                         (a worker started by a TLS master gets it in CREW_TLS_CA)
  --handshake-timeout MS Drop a peer that has not authenticated after MS (default 5000)
  --max-frame-bytes N    Largest frame sent or accepted after authentication (default 512 MiB);
                         set the same on master and workers
`;

interface TlsValues {
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-ca'?: string;
  tls?: boolean;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

/** The certificate and key to listen with, or undefined for plain `ws`. */
export function listenTlsFrom(values: TlsValues): TlsListenOptions | undefined {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new UsageError('--tls-cert and --tls-key go together');
  return { cert: readPem(cert, 'certificate'), key: readPem(key, 'key') };
}

/** How to dial with TLS, or undefined for plain `ws`. */
export function dialTlsFrom(values: TlsValues): TlsDialOptions | undefined {
  if (values['tls-ca']) return { ca: readPem(values['tls-ca'], 'CA certificate') };
  if (process.env.CREW_TLS_CA) return { ca: process.env.CREW_TLS_CA };
  return values.tls ? {} : undefined;
}
