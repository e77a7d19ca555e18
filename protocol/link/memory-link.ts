/**
 * Two connected link ends in one process, for tests of what runs over a link: the same
 * {@link Link} and {@link HandshakeLink} surfaces as the WebSocket link, with each message
 * passed through the real codec and the receiving end's guard, delivered asynchronously and
 * in order. Ending one end ends the other with the close code, after what was sent before.
 */
import { encodeFrame } from '../codec/codec';
import { crewError, ErrorCodes, type CrewError } from '../errors';
import type { Direction } from '../messages/field-checks';
import { readFrame } from './inbound-frame';
import { fromMaster, fromWorker } from '../messages/worker-link-guards';
import { CloseCodes, type HandshakeLink, type Link, type LinkPhase, type MasterEnd, type WorkerEnd } from './link';

type Delivery = { text: string } | { frame: Buffer } | { close: number; reason: string };

export class MemoryLink<In = never, Out = never> implements HandshakeLink, Link<In, Out> {
  phase: LinkPhase = 'handshake';
  endReason = '';
  peerCloseCode?: number;
  /** Frames this end has sent, in order: what a test reads to see what crossed. */
  readonly sentFrames: Uint8Array[] = [];
  /** Hands a delivery to the other end. */
  private toOther?: (d: Delivery) => void;
  private accepts?: Direction<In>;
  private messageHandler?: (msg: In) => void;
  private badFrameHandler?: (err: CrewError) => void;
  private textHandler?: (text: string) => void;
  private readonly endHandlers: ((reason: string) => void)[] = [];
  private readonly early: In[] = [];

  constructor(readonly peer: string) {}

  /** Connects two fresh ends; each names the other as its peer. */
  static pair(aName = 'a', bName = 'b'): [MemoryLink, MemoryLink] {
    const a = new MemoryLink(bName);
    const b = new MemoryLink(aName);
    a.toOther = (d) => b.receive(d);
    b.toOther = (d) => a.receive(d);
    return [a, b];
  }

  sendText(text: string): void {
    if (this.phase === 'handshake') this.post({ text });
  }

  onText(handler: (text: string) => void): void {
    this.textHandler = handler;
  }

  open<I, O>(accepts: Direction<I>): MemoryLink<I, O> {
    const link = this as unknown as MemoryLink<I, O>;
    if (this.phase !== 'handshake') return link;
    link.accepts = accepts;
    this.phase = 'open';
    return link;
  }

  send(msg: Out): boolean {
    return this.sendFrame(encodeFrame(msg as object));
  }

  sendFrame(bytes: Uint8Array): boolean {
    if (this.phase !== 'open') return false;
    this.sentFrames.push(bytes);
    // A copy, as a socket makes: the sender may reuse its buffer.
    this.post({ frame: Buffer.from(bytes) });
    return true;
  }

  onMessage(handler: (msg: In) => void): void {
    this.messageHandler = handler;
    for (const m of this.early.splice(0)) handler(m);
  }

  onBadFrame(handler: (err: CrewError) => void): void {
    this.badFrameHandler = handler;
  }

  onEnd(handler: (reason: string) => void): void {
    if (this.phase === 'closed') handler(this.endReason);
    else this.endHandlers.push(handler);
  }

  /** An in-memory peer cannot fall silent while its process lives: nothing to watch. */
  startHeartbeat(_timeoutMs: number): void {}

  dispose(code: number = CloseCodes.Normal, reason = 'closed'): void {
    if (this.phase === 'closed') return;
    this.post({ close: code, reason });
    this.end(reason);
  }

  /** Queues a delivery to the other end; setImmediate keeps them in order, after this turn. */
  private post(d: Delivery): void {
    const to = this.toOther;
    if (to) setImmediate(() => to(d));
  }

  private receive(d: Delivery): void {
    if (this.phase === 'closed') return;
    if ('close' in d) {
      this.peerCloseCode = d.close;
      this.end(d.reason);
    } else if ('text' in d) {
      if (this.phase === 'handshake') this.textHandler?.(d.text);
      else
        this.badFrameHandler?.(
          crewError(ErrorCodes.BadFrame, 'text frame after authentication: Crew frames are binary'),
        );
    } else if (this.phase === 'handshake') {
      this.dispose(CloseCodes.BadFrame, 'binary frame before authentication');
    } else {
      this.deliver(d.frame);
    }
  }

  private deliver(frame: Buffer): void {
    const read = readFrame(frame, this.accepts);
    if ('error' in read) return this.badFrameHandler?.(read.error);
    if (this.messageHandler) this.messageHandler(read.msg);
    else this.early.push(read.msg);
  }

  private end(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.endReason ||= reason;
    for (const h of this.endHandlers.splice(0)) h(this.endReason);
  }
}

/** A master's end and a worker's end, connected and already past the handshake. */
export function openMemoryPair(): { master: MasterEnd; worker: WorkerEnd } {
  const [m, w] = MemoryLink.pair('master', 'worker');
  return { master: m.open(fromWorker), worker: w.open(fromMaster) };
}
