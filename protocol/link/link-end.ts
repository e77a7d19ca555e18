/**
 * What every link end does whatever carries its frames: hold the handlers, keep messages that
 * arrive before `onMessage`, read each binary frame through the codec and its direction's
 * guard, refuse frames of the wrong kind for the phase, and end once. The WebSocket link and
 * the in-memory pair differ only in how frames leave and how the end is noticed.
 */
import { encodeFrame } from '../codec/codec';
import { crewError, ErrorCodes, type CrewError } from '../errors';
import type { Direction } from '../messages/field-checks';
import type { LinkMessage } from '../messages/worker-link-messages';
import { TAG_BYTES, type FrameSeal } from './frame-seal';
import { readFrame } from './inbound-frame';
import { CloseCodes, type LinkPhase, type LinkSubscription } from './link';

export abstract class LinkEnd<In, Out> {
  phase: LinkPhase = 'handshake';
  endReason = '';
  /**
   * The close code the peer sent when it ended the link; unset when this side ended it first
   * (dispose, missed heartbeats). A dropped connection gives 1006.
   */
  peerCloseCode?: number;
  private accepts?: Direction<In>;
  /** Authenticates each frame once the handshake has derived its keys. */
  protected seal?: FrameSeal;
  private readonly messageHandlers = new Set<(msg: In) => void>();
  private readonly badFrameHandlers = new Set<(err: CrewError) => void>();
  private textHandler?: (text: string) => void;
  private readonly endHandlers = new Set<(reason: string) => void>();
  private readonly early: In[] = [];

  abstract sendFrame(bytes: Uint8Array): boolean;
  abstract dispose(code?: number, reason?: string): void;

  /** Sends one message as one binary frame; false if the link is gone. */
  send(msg: Out): boolean {
    return this.sendFrame(encodeFrame(msg as LinkMessage));
  }

  /** Handshake text frames go here until the link is opened. */
  onText(handler: (text: string) => void): void {
    this.textHandler = handler;
  }

  /**
   * Checked messages after the handshake, to every handler. Those that arrived while no
   * handler was there are delivered in the next microtask (so a handler may dispose itself at
   * the first, and leave the rest to the next), in order, before any that arrive later, unless
   * the link has ended meanwhile.
   */
  onMessage(handler: (msg: In) => void): LinkSubscription {
    this.messageHandlers.add(handler);
    if (this.early.length > 0) queueMicrotask(() => this.deliverEarly());
    return { dispose: () => void this.messageHandlers.delete(handler) };
  }

  /** Frames that could not be decoded, or failed the guard, after the handshake. */
  onBadFrame(handler: (err: CrewError) => void): LinkSubscription {
    this.badFrameHandlers.add(handler);
    return { dispose: () => void this.badFrameHandlers.delete(handler) };
  }

  /** Called once when the link ends, at once when it already has. */
  onEnd(handler: (reason: string) => void): LinkSubscription {
    if (this.phase === 'closed') handler(this.endReason);
    else this.endHandlers.add(handler);
    return { dispose: () => void this.endHandlers.delete(handler) };
  }

  /** Whether the handshake listens for text frames yet. */
  protected get expectsText(): boolean {
    return this.textHandler !== undefined;
  }

  /**
   * Switches from the handshake to binary frames that `accepts` lets through, each
   * authenticated by `seal` when one is given; false if already past the handshake.
   */
  protected openWith(accepts: Direction<In>, seal?: FrameSeal): boolean {
    if (this.phase !== 'handshake') return false;
    this.accepts = accepts;
    this.seal = seal;
    this.phase = 'open';
    return true;
  }

  /** A text frame: the handshake's, or a bad frame once open. */
  protected receiveText(text: string): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'handshake') return this.textHandler?.(text);
    this.badFrame(crewError(ErrorCodes.BadFrame, 'text frame after authentication: Crew frames are binary'));
  }

  /** A binary frame: refused before authentication, read and checked after it. */
  protected receiveFrame(frame: Buffer | ArrayBuffer | Buffer[]): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'handshake') return this.dispose(CloseCodes.BadFrame, 'binary frame before authentication');
    if (this.seal) {
      const expected = this.seal.expected;
      const body = openSealed(this.seal, frame);
      if (!body) {
        // Not a frame of the peer that authenticated: whatever sent it may send more, so
        // nothing after it on this link can be trusted either.
        const why = 'a frame failed authentication (forged, altered, replayed or out of order)';
        const which = `frame ${expected} on this link, ${byteLength(frame)} bytes`;
        this.badFrame(crewError(ErrorCodes.FrameAuthFailed, `${why}; the link is closed (${which})`));
        return this.dispose(CloseCodes.AuthFailed, why);
      }
      frame = body;
    }
    const read = readFrame(frame, this.accepts);
    if ('error' in read) return this.badFrame(read.error);
    if (this.messageHandlers.size === 0 || this.early.length > 0) this.early.push(read.msg);
    else for (const handler of this.messageHandlers) handler(read.msg);
  }

  /** Ends the link once, telling every `onEnd` handler. */
  protected end(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.endReason ||= reason;
    this.ended();
    const handlers = [...this.endHandlers];
    this.endHandlers.clear();
    for (const h of handlers) h(this.endReason);
  }

  private deliverEarly(): void {
    while (this.early.length > 0 && this.messageHandlers.size > 0 && this.phase !== 'closed') {
      const msg = this.early.shift()!;
      for (const handler of this.messageHandlers) handler(msg);
    }
  }

  private badFrame(err: CrewError): void {
    for (const handler of this.badFrameHandlers) handler(err);
  }

  /** What a subclass lets go of when the link ends (timers, say). */
  protected ended(): void {}
}

/**
 * The frame of a sealed message, or undefined when its tag is wrong. A message of two
 * fragments whose second is the tag alone (how large frames are sent) is read without
 * joining them, so the frame is not copied.
 */
function openSealed(seal: FrameSeal, message: Buffer | ArrayBuffer | Buffer[]): Buffer | undefined {
  if (!Array.isArray(message)) return seal.open(Buffer.isBuffer(message) ? message : Buffer.from(message));
  if (message.length === 2 && message[1].length === TAG_BYTES) return seal.openTagged(message[0], message[1]);
  return seal.open(message.length === 1 ? message[0] : Buffer.concat(message));
}

function byteLength(message: Buffer | ArrayBuffer | Buffer[]): number {
  return Array.isArray(message) ? message.reduce((n, part) => n + part.length, 0) : message.byteLength;
}
