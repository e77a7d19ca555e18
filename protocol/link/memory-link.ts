/**
 * Two connected link ends in one process, for tests of what runs over a link: the same
 * {@link Link} and {@link HandshakeLink} surfaces as the WebSocket link, with each message
 * passed through the real codec and the receiving end's guard, delivered asynchronously and
 * in order. Ending one end ends the other with the close code, after what was sent before.
 */
import type { Direction } from '../messages/field-checks';
import { fromMaster, fromWorker } from '../messages/worker-link-guards';
import type { FrameSeal } from './frame-seal';
import { CloseCodes, type HandshakeLink, type Link, type MasterEnd, type WorkerEnd } from './link';
import { LinkEnd } from './link-end';

type Delivery = { text: string } | { frame: Buffer } | { close: number; reason: string };

export class MemoryLink<In = never, Out = never> extends LinkEnd<In, Out> implements HandshakeLink, Link<In, Out> {
  /** Frames this end has sent, in order: what a test reads to see what crossed. */
  readonly sentFrames: Uint8Array[] = [];
  /** Hands a delivery to the other end. */
  private toOther?: (d: Delivery) => void;

  constructor(readonly peer: string) {
    super();
  }

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

  open<I, O>(accepts: Direction<I>, seal?: FrameSeal): MemoryLink<I, O> {
    const link = this as unknown as MemoryLink<I, O>;
    link.openWith(accepts, seal);
    return link;
  }

  sendFrame(bytes: Uint8Array): boolean {
    if (this.phase !== 'open') return false;
    this.sentFrames.push(bytes);
    // A copy, as a socket makes: the sender may reuse its buffer.
    this.post({ frame: this.seal ? Buffer.concat([bytes, this.seal.tag(bytes)]) : Buffer.from(bytes) });
    return true;
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
      this.receiveText(d.text);
    } else {
      this.receiveFrame(d.frame);
    }
  }
}

/** A master's end and a worker's end, connected and already past the handshake. */
export function openMemoryPair(): { master: MasterEnd; worker: WorkerEnd } {
  const [m, w] = MemoryLink.pair('master', 'worker');
  return { master: m.open(fromWorker), worker: w.open(fromMaster) };
}
