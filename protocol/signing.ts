/**
 * Signed evaluation requests, after dist-emacs, which signed each piece of code with a
 * password before sending it. Every frame of a link, of every kind, is already authenticated
 * by the link (frame-seal.ts); signing is a second line kept with each request to evaluate
 * code, for deployments that want one per request (dist-emacs's model), should a link's
 * own protection ever be misconfigured. Each frame carries an HMAC over its code, its arguments and a sequence
 * number, under a key derived from the shared secret and a nonce the worker picks for
 * each connection. A worker started with `--require-signed` refuses frames that are
 * unsigned, mis-signed, or replayed (a sequence number it has already seen, or one from an
 * earlier connection).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crewError, ErrorCodes, type CrewError } from './errors';
import type { FormDef, SigningOffer, TaskMsg, TaskSignature } from './messages/worker-link-messages';

export type { SigningOffer, TaskSignature };

/** A fresh offer for one connection. */
export function signingOffer(required: boolean): SigningOffer {
  return { nonce: randomBytes(24).toString('hex'), required };
}

/** The signing key: derived from the secret, so that it is never the handshake's key itself. */
export function signingKey(secret: Buffer): Buffer {
  return createHmac('sha256', secret).update('crew/sign-key/1').digest();
}

/**
 * The digest of everything in a `tasks` frame that decides what runs: each form's code and
 * how it is run, and each task's form, arguments and options. Lengths are written before
 * variable-size fields, so no two frames share a digest by shifting bytes between fields.
 */
export function tasksDigest(forms: readonly FormDef[], tasks: readonly TaskMsg[], resultGroup?: number): Buffer {
  const h = createHash('sha256');
  const num = (n: number | undefined) => h.update(n === undefined ? 'u;' : `${n};`);
  const bytes = (b: Uint8Array | string | undefined) => {
    if (b === undefined) return h.update('u;');
    const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
    h.update(`${buf.length}:`);
    h.update(buf);
  };
  num(forms.length);
  for (const f of forms) {
    num(f.id);
    bytes(f.mode);
    bytes(f.code);
    bytes(f.filename);
    num(f.line);
    num(f.column);
    bytes(f.sourceMap);
    num(f.cache ? 1 : 0);
    bytes(f.initArgs);
    // The hashes name the modules' code, which the worker checks against them on arrival.
    bytes(f.modules && JSON.stringify(f.modules));
  }
  num(tasks.length);
  for (const t of tasks) {
    num(t.id);
    num(t.form);
    bytes(t.args);
    num(t.timeoutMs);
    num(t.setup ? 1 : 0);
    // Fields beyond these (agent spawns) are covered as their JSON text.
    const { id: _i, form: _f, args: _a, timeoutMs: _t, setup: _s, ...rest } = t;
    bytes(Object.keys(rest).length > 0 ? JSON.stringify(rest) : undefined);
  }
  num(resultGroup);
  return h.digest();
}

function macOf(key: Buffer, nonce: string, seq: number, digest: Buffer): string {
  return createHmac('sha256', key).update(`crew/sign/1\0${nonce}\0${seq}\0`).update(digest).digest('hex');
}

/** The master's side for one connection: signs each frame with the next sequence number. */
export class Signer {
  private seq = 0;

  constructor(
    private readonly key: Buffer,
    private readonly nonce: string,
  ) {}

  sign(forms: readonly FormDef[], tasks: readonly TaskMsg[], resultGroup?: number): TaskSignature {
    const seq = ++this.seq;
    return { seq, mac: macOf(this.key, this.nonce, seq, tasksDigest(forms, tasks, resultGroup)) };
  }
}

/** The worker's side for one connection: checks signatures and sequence numbers. */
export class SignatureChecker {
  private lastSeq = 0;

  constructor(
    private readonly key: Buffer,
    readonly offer: SigningOffer,
  ) {}

  /**
   * Returns why a frame is refused, or undefined to run it. A signature that is present is
   * always checked; a missing one is refused only when signing is required.
   */
  check(msg: { forms: FormDef[]; tasks: TaskMsg[]; resultGroup?: number; sig?: TaskSignature }): CrewError | undefined {
    const sig = msg.sig;
    if (!sig) {
      return this.offer.required
        ? crewError(
            ErrorCodes.Unsigned,
            'unsigned code refused: this worker runs only signed requests (--require-signed)',
          )
        : undefined;
    }
    if (
      !Number.isSafeInteger(sig.seq) ||
      sig.seq < 1 ||
      typeof sig.mac !== 'string' ||
      !/^[0-9a-f]{64}$/.test(sig.mac)
    ) {
      return crewError(ErrorCodes.BadSignature, 'refused: the request signature is malformed');
    }
    const want = Buffer.from(
      macOf(this.key, this.offer.nonce, sig.seq, tasksDigest(msg.forms, msg.tasks, msg.resultGroup)),
      'hex',
    );
    if (!timingSafeEqual(want, Buffer.from(sig.mac, 'hex'))) {
      return crewError(
        ErrorCodes.BadSignature,
        'refused: the request signature does not match its code (wrong secret, or the frame was altered on the way)',
      );
    }
    if (sig.seq <= this.lastSeq) {
      return crewError(
        ErrorCodes.Replayed,
        `refused: request ${sig.seq} was already seen on this connection (a replayed frame)`,
      );
    }
    this.lastSeq = sig.seq;
    return undefined;
  }
}

/** Checks the shape of a signing offer received on the wire. */
export function isSigningOffer(x: unknown): x is SigningOffer {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as SigningOffer).nonce === 'string' &&
    /^[0-9a-f]{16,128}$/.test((x as SigningOffer).nonce) &&
    typeof (x as SigningOffer).required === 'boolean'
  );
}
