/**
 * What each end says when one speaks TLS and the other plain TCP, and the warning for plain
 * TCP beyond loopback. The raw errors ("socket hang up", "wrong version number", "Unexpected
 * server response: 426") name a symptom; these name the cause and what to change.
 */
import type { Audit } from '../audit';

/** The dialer's reason for a failed connection, when TLS on one end only explains it. */
export function explainDialError(err: Error & { code?: string }, address: string, tls: boolean): string | undefined {
  const text = `${err.code ?? ''} ${err.message}`;
  if (tls && /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|wrong version number|packet length too long/i.test(text))
    return (
      `${address} speaks plain TCP and this end TLS: it is an older Crew, or not Crew ` +
      `(${err.code ?? err.message}); dial it with --no-tls only where the network is trusted`
    );
  if (!tls && /Unexpected server response: 426/.test(err.message))
    return (
      `${address} speaks TLS and this end plain TCP: it takes plain TCP from its own host only, ` +
      'or TLS only (--tls, or a certificate of its own); drop --no-tls, or dial with --tls'
    );
  return undefined;
}

const warned = new Set<string>();

/**
 * Says `warning` on the terminal and in the audit trail, once per `key` in this process (a
 * worker that redials says it once, not at every attempt).
 */
export function warnPlain(warning: string, audit: Audit | undefined, key = warning): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.stderr.write(`crew: warning: ${warning}\n`);
  audit?.log('warning', { tls: 'off', why: warning });
}
