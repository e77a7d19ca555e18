/**
 * Authentication of every frame after the handshake. The handshake proves each end knows the
 * secret, but on its own it proves nothing about the frames that follow: a relay that passed
 * the handshake through could drop one end and speak in its place. So both ends derive a pair
 * of keys from the secret and the whole handshake transcript (both nonces, both ends' claims),
 * and each binary frame carries a tag: HMAC-SHA256 under its direction's key, over a sequence
 * number and the frame. The sequence number is implicit, one per direction, so a frame that is
 * replayed, reordered, dropped or moved to another connection fails as surely as a forged one.
 * The tag travels in the same WebSocket message as the frame, after it: in the same fragment,
 * or, for a large frame, in a fragment of its own, so the frame is never copied to append it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Bytes of tag each frame carries: 128 bits of HMAC-SHA256, as in TLS's truncated MACs. */
export const TAG_BYTES = 16;

/** The keys of one authenticated link, one per direction. */
export interface SealKeys {
  send: Buffer;
  receive: Buffer;
}

/**
 * Derives both directions' keys from the secret and the transcript. `dialer` says which end
 * this is, so that each end's send key is the other's receive key.
 */
export function deriveSealKeys(secret: Buffer, label: string, transcript: string, dialer: boolean): SealKeys {
  const root = createHmac('sha256', secret).update(`${label}\0frame-keys\0${transcript}`).digest();
  const key = (direction: string) => createHmac('sha256', root).update(direction).digest();
  const fromDialer = key('dialer to listener');
  const fromListener = key('listener to dialer');
  return dialer ? { send: fromDialer, receive: fromListener } : { send: fromListener, receive: fromDialer };
}

/** Seals frames this end sends and opens frames it receives, each in order. */
export class FrameSeal {
  private sent = 0;
  private received = 0;
  private readonly seqBytes = Buffer.alloc(8);

  constructor(private readonly keys: SealKeys) {}

  /** The sequence number the next frame received must carry: for messages about one that did not. */
  get expected(): number {
    return this.received + 1;
  }

  /** The tag for the next frame this end sends. */
  tag(frame: Uint8Array): Buffer {
    return this.mac(this.keys.send, ++this.sent, frame);
  }

  /**
   * The frame without its tag when the tag is the one the next frame in order must carry;
   * undefined when it is not (forged, altered, replayed, reordered or from another link).
   */
  open(sealed: Buffer): Buffer | undefined {
    if (sealed.length < TAG_BYTES) return undefined;
    return this.openTagged(sealed.subarray(0, sealed.length - TAG_BYTES), sealed.subarray(sealed.length - TAG_BYTES));
  }

  /** The same for a frame whose tag arrived apart from it (a message in two fragments). */
  openTagged(body: Buffer, tag: Buffer): Buffer | undefined {
    if (tag.length !== TAG_BYTES) return undefined;
    const want = this.mac(this.keys.receive, this.received + 1, body);
    if (!timingSafeEqual(want, tag)) return undefined;
    this.received++;
    return body;
  }

  private mac(key: Buffer, seq: number, frame: Uint8Array): Buffer {
    this.seqBytes.writeUIntBE(seq, 2, 6);
    return createHmac('sha256', key).update(this.seqBytes).update(frame).digest().subarray(0, TAG_BYTES);
  }
}
