/** `crew` options for the link (TLS, handshake time, frame size), shared by master and worker. */
import { readFileSync } from 'node:fs';
import type { DialTls, TlsListenOptions } from '../../protocol/link/sockets';
import { UsageError, type Options } from './cli-common';

export const linkCliOptions = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  tls: { type: 'boolean' },
  'no-tls': { type: 'boolean' },
  'handshake-timeout': { type: 'string' },
  'max-frame-bytes': { type: 'string' },
} as const satisfies Options;

export const LINK_HELP = `  Links with an end beyond loopback use TLS, with nothing to set up: a listener makes its
  own certificate, and the secret, bound to the TLS channel, authenticates both ends.
  --tls                  Use TLS on loopback too (listening: take TLS only)
  --no-tls               Plain TCP even beyond loopback (warns: the network can read the code)
  --tls-cert F --tls-key F  Listen with this PEM certificate and key, and take TLS only
  --tls-ca F             Dial with TLS and also check the listener's certificate against F
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
  'no-tls'?: boolean;
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

/** How to use TLS: a CA to check, `on`, `off`, or undefined for the default (`auto`). */
export function dialTlsFrom(values: TlsValues): DialTls | undefined {
  if (values['no-tls'] && (values.tls || values['tls-ca'] || values['tls-cert']))
    throw new UsageError('--no-tls goes with none of --tls, --tls-ca and --tls-cert');
  if (values['tls-ca']) return { ca: readPem(values['tls-ca'], 'CA certificate') };
  if (process.env.CREW_TLS_CA) return { ca: process.env.CREW_TLS_CA };
  if (values['no-tls']) return 'off';
  return values.tls ? 'on' : undefined;
}
