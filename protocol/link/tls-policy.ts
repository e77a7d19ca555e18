/**
 * When a link uses TLS. Any link with an end beyond loopback does, with nothing to set up: a
 * listener makes its own certificate (tls-certificate.ts) and a dialer trusts the shared secret,
 * bound to the TLS channel (tls-channel.ts), instead of a certificate authority. Loopback stays
 * plain unless TLS is asked for. A user's own certificate and CA work and are verified as given.
 */
import { isLoopback } from '../address';

/**
 * `auto`: TLS when an end is beyond loopback; `on`: TLS always (`--tls`); `off`: plain even
 * beyond loopback (`--no-tls`), with a warning.
 */
export type TlsChoice = 'auto' | 'on' | 'off';

/** Certificate and key (PEM text or bytes) a listener was given (`--tls-cert`, `--tls-key`). */
export interface TlsListenOptions {
  cert: string | Buffer;
  key: string | Buffer;
}

/**
 * A dialer that checks the listener's certificate (`--tls-ca`, or the system's CAs when empty),
 * besides the handshake bound to the channel. Giving this object at all means "dial with TLS".
 */
export interface TlsDialOptions {
  /** Certificates to trust besides the system's, e.g. a self-signed one (PEM). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Refuse a certificate that does not verify (default true). */
  rejectUnauthorized?: boolean;
  /** Name to check the certificate against, when it differs from the host dialed. */
  servername?: string;
}

/** How a dialer uses TLS: a choice, or a certificate check of the user's. Undefined is `auto`. */
export type DialTls = TlsChoice | TlsDialOptions;
/** How a listener uses TLS: a choice, or the user's certificate. Undefined is `auto`. */
export type ListenTls = TlsChoice | TlsListenOptions;

/** TLS settings of one dial; `tls` undefined for plain TCP. */
export interface DialPlan {
  tls?: TlsDialOptions;
  /** Said on the terminal and in the audit trail: plain TCP beyond loopback. */
  warning?: string;
}

/**
 * The dialer's TLS for `host`. Without a CA the certificate is not checked: the handshake
 * authenticates the listener by the secret over this very TLS channel, which a certificate
 * could only add to.
 */
export function dialPlan(host: string, choice: DialTls | undefined): DialPlan {
  if (typeof choice === 'object') return { tls: choice };
  const bound: TlsDialOptions = { rejectUnauthorized: false };
  if (choice === 'on') return { tls: bound };
  if (choice === 'off')
    return isLoopback(host)
      ? {}
      : {
          warning:
            `dialing ${host} without TLS (--no-tls): the code and the values on this link can be read ` +
            'on the network; the secret still authenticates both ends and every frame',
        };
  return isLoopback(host) ? {} : { tls: bound };
}

/** Who may connect in plain TCP: peers on loopback only, anyone (`--no-tls`), or no one. */
export type PlainFrom = 'loopback' | 'any' | 'nobody';

/** How one listener uses TLS. */
export interface ListenPlan {
  /** The user's certificate, or `made`: the listener's own, made or read from the cache. */
  cert: TlsListenOptions | 'made';
  plainFrom: PlainFrom;
  /** Whether TLS is expected at once (so a made certificate is made now, not at first use). */
  eager: boolean;
  warning?: string;
}

/** The listener's TLS on `host`. TLS is always accepted; what differs is who may go without. */
export function listenPlan(host: string, choice: ListenTls | undefined): ListenPlan {
  if (typeof choice === 'object') return { cert: choice, plainFrom: 'nobody', eager: true };
  if (choice === 'on') return { cert: 'made', plainFrom: 'nobody', eager: true };
  if (choice === 'off')
    return {
      cert: 'made',
      plainFrom: 'any',
      eager: false,
      warning: isLoopback(host)
        ? undefined
        : `listening on ${host} with --no-tls: peers on other hosts may connect without TLS, and then ` +
          'the code and the values on their links can be read on the network',
    };
  return { cert: 'made', plainFrom: 'loopback', eager: !isLoopback(host) };
}

/** Whether a listener with `plainFrom` takes a plain TCP connection from `address`. */
export function plainAllowed(plainFrom: PlainFrom, address: string | undefined): boolean {
  if (plainFrom === 'any') return true;
  if (plainFrom === 'nobody' || !address) return false;
  // A dual-stack listener names an IPv4 peer as ::ffff:a.b.c.d.
  return isLoopback(address.replace(/^::ffff:/i, ''));
}
