/**
 * Who an end of a link is, proven rather than claimed. Each master (a pool) and each worker
 * process makes an Ed25519 key pair when it starts; its public key is its id. In a handshake an
 * end signs the transcript, so its id cannot be claimed by anyone without its private key: not
 * by a relay, and not by another master of the same user, who knows the shared secret but not
 * this key. A worker gives a master its own session back by this id, and a master knows a
 * worker it already holds when a second address answers as the same one.
 */
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** An Ed25519 public key as base64url: 32 bytes, 43 characters. */
const ID = /^[\w-]{43}$/;

export class Identity {
  /** The public key, base64url: what the other end knows this one by. */
  readonly id: string;
  private readonly key: KeyObject;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.id = publicKey.export({ format: 'jwk' }).x as string;
    this.key = privateKey;
  }

  /** A signature over `transcript` that only the holder of this id's private key can make. */
  prove(transcript: string): string {
    return sign(null, Buffer.from(transcript, 'utf8'), this.key).toString('base64url');
  }
}

/** Whether `id` is a well-formed id, as {@link Identity} makes them. */
export function isIdentity(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id);
}

/** Whether `proof` is `id`'s signature over `transcript`; false for anything malformed. */
export function proves(id: unknown, transcript: string, proof: unknown): boolean {
  if (!isIdentity(id) || typeof proof !== 'string' || proof.length > 200) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' });
    return verify(null, Buffer.from(transcript, 'utf8'), key, Buffer.from(proof, 'base64url'));
  } catch {
    return false;
  }
}
