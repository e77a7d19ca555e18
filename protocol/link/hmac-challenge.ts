/**
 * The pieces of Crew's challenge-response authentication, shared by the worker handshake
 * and the editor's LSP handshake: fresh nonces, the HMAC-SHA256 over a label and the
 * transcript's parts, and a constant-time comparison. Each handshake has its own label, so
 * that a transcript of one kind is useless for the other; the secret never crosses the wire.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes: never repeated, so a recorded answer matches no later challenge. */
const NONCE_BYTES = 32;
const NONCE = /^[0-9a-f]{64}$/;

/** A fresh nonce, as lowercase hex. */
export function freshNonce(): string {
  return randomBytes(NONCE_BYTES).toString('hex');
}

/** Whether a peer's nonce has the format {@link freshNonce} makes. */
export function isNonce(x: unknown): x is string {
  return typeof x === 'string' && NONCE.test(x);
}

/** HMAC-SHA256 over `label` and `parts`, NUL-separated, as hex. */
export function challengeMac(secret: Buffer, label: string, ...parts: string[]): string {
  return createHmac('sha256', secret)
    .update(`${label}\0${parts.join('\0')}`)
    .digest('hex');
}

/** Compares a MAC from the wire with the expected one in constant time; false for a non-string. */
export function sameMac(received: unknown, expected: string): boolean {
  if (typeof received !== 'string') return false;
  const x = Buffer.from(received, 'utf8');
  const y = Buffer.from(expected, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
