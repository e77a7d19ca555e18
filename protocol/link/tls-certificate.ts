/**
 * The certificate a listener uses when the user gave none: a P-256 key and a minimal
 * self-signed X.509 certificate, made with node:crypto alone. No one checks it against a
 * certificate authority; a dialer authenticates the listener through the shared secret, with
 * the handshake bound to the TLS channel (tls-channel.ts). So the certificate only has to be
 * one that TLS accepts, and it is made once and cached with mode 0600 in the user's config
 * folder, or made for this process alone when that folder cannot be used.
 *
 * A library was weighed: `@peculiar/x509` (and `selfsigned`, built on it) needs a global
 * `reflect-metadata` polyfill and 20 packages in every worker; the DER below is 60 lines.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorCodes } from '../errors';
import { readPrivateFile, writePrivateFile } from '../private-file';

/** A certificate and its key, as PEM. */
export interface CertificatePair {
  cert: string;
  key: string;
}

const DAY_MS = 86_400_000;
/** A cached certificate is made anew when it has less than this left. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
const VALID_FOR_MS = 397 * DAY_MS;

// DER: a tag, a length, the contents.
function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 255]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => der(0x30, ...parts);
/** ecdsa-with-SHA256, 1.2.840.10045.4.3.2 */
const ECDSA_SHA256 = seq(Buffer.from('06082a8648ce3d040302', 'hex'));
/** A Name of one common name (2.5.4.3). */
const name = (cn: string) => seq(der(0x31, seq(Buffer.from('0603550403', 'hex'), der(0x0c, Buffer.from(cn, 'utf8')))));
/** UTCTime before 2050, GeneralizedTime from then on, as RFC 5280 says. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(iso.slice(2))) : der(0x18, Buffer.from(iso));
}

/** Makes a fresh key and a self-signed certificate for it, valid from yesterday for 397 days. */
export function makeSelfSigned(commonName = 'crew'): CertificatePair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = randomBytes(16);
  // A positive INTEGER in DER's one encoding: a first byte of 0 before one under 0x80 is
  // "illegal padding", which OpenSSL refuses when the certificate is loaded (once in 256 before).
  serial[0] = (serial[0] & 0x7f) | 0x40;
  const now = Date.now();
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ECDSA_SHA256,
    name(commonName),
    seq(time(new Date(now - DAY_MS)), time(new Date(now + VALID_FOR_MS))),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.from([0]), signature));
  const b64 = cert.toString('base64').replace(/.{64}/g, '$&\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The cache: `$XDG_CONFIG_HOME/crew/tls-listener.pem` or `~/.config/crew/tls-listener.pem`. */
export function defaultCertificateFile(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'crew', 'tls-listener.pem');
}

const CACHE = { what: 'the TLS certificate cache', code: ErrorCodes.BadArgument } as const;

/** A usable pair read from the cache, or undefined (missing, foreign, unreadable, expiring). */
function readCached(file: string): CertificatePair | undefined {
  try {
    const text = readPrivateFile(file, { ...CACHE, forbiddenBits: 0o077 });
    const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(text)?.[0];
    const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(text)?.[0];
    if (!key || !cert) return undefined;
    const x509 = new X509Certificate(cert);
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    // OpenSSL is stricter than X509Certificate: a cached pair it cannot load is made anew.
    createSecureContext({ cert, key });
    return { cert, key };
  } catch {
    return undefined;
  }
}

/** Where the pair came from, for the audit trail. */
export interface ListenerCertificate extends CertificatePair {
  /** The cache file, or why none was used. */
  source: string;
}

/**
 * The listener's own certificate: the cached one, or a new one cached for next time. A cache
 * that cannot be used (another user's file, a folder others control, a read-only home) costs
 * nothing but a new certificate for this process: no peer relies on it staying the same.
 */
export function listenerCertificate(file = defaultCertificateFile()): ListenerCertificate {
  const cached = readCached(file);
  if (cached) return { ...cached, source: file };
  const made = makeSelfSigned();
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writePrivateFile(file, made.key + made.cert, CACHE);
    return { ...made, source: file };
  } catch (err) {
    return { ...made, source: `this process only (${(err as Error).message})` };
  }
}
