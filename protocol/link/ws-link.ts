/**
 * One WebSocket connection carrying Crew frames: JSON text frames during the handshake,
 * binary frames after it, each decoded and checked against its direction's guard. The
 * {@link Link} surface (`onMessage`, `onEnd`, `send`, `dispose`) is all that pools and
 * workers see of the network.
 */
import type WebSocket from 'ws';
import { encodeFrame } from '../codec/codec';
import { crewError, ErrorCodes, type CrewError } from '../errors';
import type { Direction } from '../messages/field-checks';
import { readFrame } from './inbound-frame';
import { CloseCodes, type HandshakeLink, type Link, type LinkPhase } from './link';

/**
 * A WebSocket link. Until the handshake opens it, `In` and `Out` are `never`: nothing typed
 * can be sent, and binary frames end the link.
 */
export class WsLink<In = never, Out = never> implements HandshakeLink, Link<In, Out> {
  phase: LinkPhase = 'handshake';
  private accepts?: Direction<In>;
  private messageHandler?: (msg: In) => void;
  private badFrameHandler?: (err: CrewError) => void;
  private textHandler?: (text: string) => void;
  private readonly endHandlers: ((reason: string) => void)[] = [];
  private readonly early: In[] = [];
  private heartbeat?: NodeJS.Timeout;
  private lastPong = Date.now();
  endReason = '';
  /**
   * The close code the peer sent when it ended the link with a closing handshake; unset when
   * this side ended it first (dispose, missed heartbeats). A dropped connection gives 1006.
   */
  peerCloseCode?: number;
  /** The frame limit once authenticated; until then the listener's small handshake limit holds. */
  maxFrameBytes?: number;

  constructor(
    readonly ws: WebSocket,
    /** How the peer is named in errors and the audit trail. */
    public peer: string,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.receive(data as Buffer | Buffer[], isBinary));
    ws.on('pong', () => {
      this.lastPong = Date.now();
    });
    ws.on('close', (code, reason) => {
      if (this.phase !== 'closed') this.peerCloseCode = code;
      this.end(reason.toString() || closeCodeText(code));
    });
    ws.on('error', (err) => this.end(err.message));
  }

  /** Handshake text frames go here until {@link open} is called. */
  onText(handler: (text: string) => void): void {
    this.textHandler = handler;
  }

  /** Decoded binary frames after the handshake. Frames that arrived earlier are delivered now. */
  onMessage(handler: (msg: In) => void): void {
    this.messageHandler = handler;
    for (const m of this.early.splice(0)) handler(m);
  }

  /** Frames that could not be decoded after the handshake. */
  onBadFrame(handler: (err: CrewError) => void): void {
    this.badFrameHandler = handler;
  }

  onEnd(handler: (reason: string) => void): void {
    if (this.phase === 'closed') handler(this.endReason);
    else this.endHandlers.push(handler);
  }

  /** Switches from the handshake to binary frames that `accepts` lets through. */
  open<I, O>(accepts: Direction<I>): WsLink<I, O> {
    // The same socket, now typed by the direction the handshake established.
    const link = this as unknown as WsLink<I, O>;
    if (this.phase !== 'handshake') return link;
    link.accepts = accepts;
    this.phase = 'open';
    if (this.maxFrameBytes) raiseFrameLimit(this.ws, this.maxFrameBytes);
    return link;
  }

  sendText(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  /** Sends one message as one binary frame; false if the connection is gone. */
  send(msg: Out): boolean {
    return this.sendFrame(encodeFrame(msg as object));
  }

  sendFrame(bytes: Uint8Array): boolean {
    if (this.phase !== 'open' || this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(bytes);
    return true;
  }

  /** Pings every `timeoutMs / 3` and terminates a peer that stays silent for `timeoutMs`. */
  startHeartbeat(timeoutMs: number): void {
    const every = Math.max(50, Math.floor(timeoutMs / 3));
    this.lastPong = Date.now();
    let lastTick = Date.now();
    this.heartbeat = setInterval(() => {
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
      if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
    }, every);
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
    if (this.phase === 'handshake') {
      if (isBinary || !this.textHandler) {
        this.dispose(CloseCodes.BadFrame, 'binary frame before authentication');
        return;
      }
      this.textHandler(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data).toString('utf8'));
      return;
    }
    if (!isBinary) {
      this.badFrameHandler?.(crewError(ErrorCodes.BadFrame, 'text frame after authentication: Crew frames are binary'));
      return;
    }
    const read = readFrame(data, this.accepts);
    if ('error' in read) return this.badFrameHandler?.(read.error);
    if (this.messageHandler) this.messageHandler(read.msg);
    else this.early.push(read.msg);
  }

  private end(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.endReason ||= reason;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const h of this.endHandlers.splice(0)) h(this.endReason);
  }
}

/**
 * Raises the largest frame ws accepts on this connection, from the small pre-authentication
 * limit to the full one. ws fixes `maxPayload` when the connection is made and has no public
 * way to change it afterwards; the alternatives are worse: the full limit from the start lets
 * an unauthenticated peer make this process buffer hundreds of megabytes, and a second
 * connection after the handshake would need a second authentication. So this one function
 * writes the field ws's receiver reads for each frame, and package.json pins ws to the exact
 * version whose receiver has it; a ws without the field leaves the small limit in place.
 */
function raiseFrameLimit(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

function closeCodeText(code: number): string {
  switch (code) {
    case CloseCodes.AuthFailed:
      return 'authentication failed';
    case CloseCodes.HandshakeTimeout:
      return 'handshake timed out';
    case CloseCodes.BadFrame:
      return 'bad frame';
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
