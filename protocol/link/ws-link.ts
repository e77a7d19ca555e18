/**
 * One WebSocket connection carrying Crew frames: JSON text frames during the handshake,
 * binary frames after it, each decoded and checked against its direction's guard. The
 * {@link Link} surface (`onMessage`, `onEnd`, `send`, `dispose`) is all that pools and
 * workers see of the network.
 */
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { Direction } from '../messages/field-checks';
import type { FrameSeal } from './frame-seal';
import { CloseCodes, type HandshakeLink, type Link } from './link';
import { LinkEnd } from './link-end';

/** Frames this large go out without being copied to append their tag (see sendSealed). */
const TAG_APART_FROM = 64 * 1024;

/**
 * A WebSocket link. Until the handshake opens it, `In` and `Out` are `never`: nothing typed
 * can be sent, and binary frames end the link.
 */
export class WsLink<In = never, Out = never> extends LinkEnd<In, Out> implements HandshakeLink, Link<In, Out> {
  private heartbeat?: NodeJS.Timeout;
  private lastPong = Date.now();
  /** Frames waiting while a send is under way (see sendFrame). */
  private readonly outbox: Uint8Array[] = [];
  private sending = false;
  /** Stops counting the peer's bytes before authentication (see limitUntilOpen). */
  private stopCounting?: () => void;
  /** The TLS channel under this link, set by sockets.ts when there is one (tls-channel.ts). */
  channel?: string;

  constructor(
    readonly ws: WebSocket,
    /** How the peer is named in errors and the audit trail. */
    public peer: string,
  ) {
    super();
    // Fragments as they came: a large frame's tag arrives in a fragment of its own, and
    // joining the two would copy the frame (link-end.ts reads them apart).
    ws.binaryType = 'fragments';
    ws.on('message', (data, isBinary) => this.receive(data as Buffer | Buffer[], isBinary));
    // A ping from the peer proves it alive as well as a pong does: see startHeartbeat.
    const heard = () => {
      this.lastPong = Date.now();
    };
    ws.on('pong', heard);
    ws.on('ping', heard);
    ws.on('close', (code, reason) => {
      if (this.phase !== 'closed') this.peerCloseCode = code;
      this.end(reason.toString() || closeCodeText(code));
    });
    ws.on('error', (err) => this.end(err.message));
  }

  /** Switches from the handshake to binary frames that `accepts` lets through, sealed by `seal`. */
  open<I, O>(accepts: Direction<I>, seal?: FrameSeal): WsLink<I, O> {
    // The same socket, now typed by the direction the handshake established.
    const link = this as unknown as WsLink<I, O>;
    if (link.openWith(accepts, seal)) this.stopCounting?.();
    return link;
  }

  /**
   * Bounds what the peer may send before the handshake opens the link: past `limit` bytes
   * of `socket` (the upgraded connection under this WebSocket), the link is closed with 1009
   * and nothing more is read. ws takes `maxPayload` once per connection, and it is the full
   * frame limit here, so a frame that claims hundreds of megabytes is cut off by its bytes as
   * they come: what is held for an unauthenticated peer is at most `limit` and one read more.
   * ws reads each chunk before this count does, so a chunk that carries the frame opening the
   * link and the first frames after it is not counted.
   */
  limitUntilOpen(socket: Duplex, limit: number): void {
    if (this.phase !== 'handshake') return;
    let bytes = 0;
    const count = (chunk: Buffer) => {
      if (this.phase !== 'handshake') return this.stopCounting?.();
      bytes += chunk.length;
      if (bytes <= limit) return;
      this.stopCounting?.();
      // ws.pause() stops reading the socket and keeps ws from resuming it; the close frame
      // still goes out, and ending our side delivers it without waiting on the peer.
      this.ws.pause();
      this.dispose(CloseCodes.TooBig, `sent more than ${limit} bytes before authenticating`);
      socket.end();
    };
    socket.on('data', count);
    this.stopCounting = () => {
      socket.off('data', count);
      this.stopCounting = undefined;
    };
  }

  sendText(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  sendFrame(bytes: Uint8Array): boolean {
    if (this.phase !== 'open' || this.ws.readyState !== this.ws.OPEN) return false;
    if (!this.seal) {
      this.ws.send(bytes);
      return true;
    }
    this.outbox.push(bytes);
    // A send made from inside this one (the inspector can call back in the middle of any
    // JavaScript) waits in the outbox: nothing may land between a frame's two fragments,
    // and tags are made in the order frames go out.
    if (this.sending) return true;
    this.sending = true;
    try {
      for (let frame = this.outbox.shift(); frame; frame = this.outbox.shift()) this.sendSealed(frame, this.seal);
    } finally {
      this.sending = false;
    }
    return true;
  }

  /**
   * One message, frame and tag. A small frame and its tag go in one fragment; a large one is
   * sent as it is, with its tag in a second fragment, so its megabytes are not copied.
   */
  private sendSealed(frame: Uint8Array, seal: FrameSeal): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const tag = seal.tag(frame);
    if (frame.length < TAG_APART_FROM) return this.ws.send(Buffer.concat([frame, tag]));
    this.ws.send(frame, { fin: false });
    this.ws.send(tag, { fin: true });
  }

  /**
   * Pings every `timeoutMs / 3` and terminates a peer that stays silent for `timeoutMs`: the
   * check runs when that silence is reached, not at the next ping after it, so a peer that
   * vanished is let go within the timeout of its last sign of life. A ping is skipped when the
   * peer was heard from within the interval: ws answers every ping with a pong, so one side's
   * ping proves each side alive to the other, and two idle ends exchange one ping per interval,
   * not two (the master of a large pool pays for every one of them).
   */
  startHeartbeat(timeoutMs: number): void {
    const every = Math.max(50, Math.floor(timeoutMs / 3));
    this.lastPong = Date.now();
    let lastTick = Date.now();
    let lastPing = lastTick;
    const tick = () => {
      const now = Date.now();
      // When this process itself was stalled (a long synchronous job, SIGSTOP), timers run
      // before the pongs waiting in the socket are read: give the peer a fresh chance.
      if (now - lastTick > every * 2) this.lastPong = now;
      lastTick = now;
      if (now - this.lastPong > timeoutMs) {
        this.endReason = `no heartbeat for ${timeoutMs} ms`;
        this.ws.terminate();
        this.end(this.endReason);
        return;
      }
      if (now - lastPing >= every - 1) {
        lastPing = now;
        if (now - this.lastPong >= every - 1 && this.ws.readyState === this.ws.OPEN) this.ws.ping();
      }
      const next = Math.min(lastPing + every, this.lastPong + timeoutMs + 1) - now;
      this.heartbeat = setTimeout(tick, Math.max(1, next));
      this.heartbeat.unref();
    };
    this.heartbeat = setTimeout(tick, every);
    this.heartbeat.unref();
  }

  dispose(code: number = CloseCodes.Normal, reason = 'closed'): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, closeReason(reason));
      // A peer that does not complete the closing handshake must not keep us waiting.
      setTimeout(() => this.ws.terminate(), 1000).unref();
    }
    this.end(reason);
  }

  private receive(data: Buffer | Buffer[], isBinary: boolean): void {
    if (this.phase === 'closed') return;
    // Any frame proves the peer alive; a pong can queue behind a large frame.
    this.lastPong = Date.now();
    if (isBinary) return this.receiveFrame(data);
    // Before the handshake listens, a text frame is as unexpected as a binary one.
    if (this.phase === 'handshake' && !this.expectsText)
      return this.dispose(CloseCodes.BadFrame, 'binary frame before authentication');
    this.receiveText(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data).toString('utf8'));
  }

  protected override ended(): void {
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.stopCounting?.();
  }
}

function closeCodeText(code: number): string {
  switch (code) {
    case CloseCodes.AuthFailed:
      return 'authentication failed';
    case CloseCodes.HandshakeTimeout:
      return 'handshake timed out';
    case CloseCodes.BadFrame:
      return 'bad frame';
    case CloseCodes.TooBig:
      return 'frame over the limit';
    case CloseCodes.Shutdown:
      return 'peer shut down';
    case 1006:
      return 'connection lost';
    default:
      return `connection closed (${code})`;
  }
}

/**
 * A WebSocket close reason may be at most 123 bytes of UTF-8; a peer's text quoted in it
 * (a fuzzer's bytes, say) can be longer in bytes than in characters.
 */
export function closeReason(reason: string): string {
  let out = reason.slice(0, 123);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
