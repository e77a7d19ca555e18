/**
 * What the pool and the worker see of a connection: typed messages in, typed messages out,
 * in the spirit of vscode-js-debug's ITransport. `In` is what the other end sends, already
 * decoded and checked against its direction's guard; `Out` is what this end may send, so
 * every send site is checked by the compiler against the direction's union.
 */
import type { FrameOf } from '../codec/frame';
import type { CrewError } from '../errors';
import type { Direction } from '../messages/field-checks';
import type { MasterToWorker, WorkerToMaster } from '../messages/worker-link-messages';
import type { FrameSeal } from './frame-seal';

export type LinkPhase = 'handshake' | 'open' | 'closed';

/** What a handler given to a link returns: disposing it stops the handler being called. */
export interface LinkSubscription {
  dispose(): void;
}

/**
 * Close codes Crew uses: its own in the range the WebSocket spec leaves to applications, and
 * the spec's own where one says it.
 */
export const CloseCodes = {
  Normal: 1000,
  /** More than the limit: a frame over `maxFrameBytes`, or too much before authentication. */
  TooBig: 1009,
  AuthFailed: 4001,
  HandshakeTimeout: 4002,
  BadFrame: 4003,
  Shutdown: 4004,
  HeartbeatLost: 4005,
  /** The worker serves as many masters as it may (`--max-sessions`). */
  WorkerBusy: 4006,
} as const;

/** What both phases of a link share: who is at the other end, and how it ends. */
export interface LinkBase {
  /** How the peer is named in errors and the audit trail. */
  readonly peer: string;
  readonly phase: LinkPhase;
  /**
   * What this end sees of the channel under the link (tls-channel.ts): `tls:` and the TLS
   * session's exported keying material, or undefined for plain TCP. The handshake binds it.
   */
  readonly channel?: string;
  /** Why the link ended; empty while it is up. */
  readonly endReason: string;
  /**
   * The close code the peer sent when it ended the link; unset when this side ended it
   * first (dispose, missed heartbeats). A dropped connection gives 1006.
   */
  readonly peerCloseCode?: number;
  /** Called once when the link ends, at once when it already has. */
  onEnd(handler: (reason: string) => void): LinkSubscription;
  /** Ends the link, telling the peer `code` and `reason`. */
  dispose(code?: number, reason?: string): void;
}

/** An authenticated link carrying binary frames. */
export interface Link<In, Out> extends LinkBase {
  /** Encodes and sends one message as one frame; false when the link is not open. */
  send(msg: Out): boolean;
  /**
   * Sends a frame the codec has already encoded (the compact `tasks` and `results` layouts),
   * of a kind this end may send; false when the link is not open.
   */
  sendFrame(frame: FrameOf<Out>): boolean;
  /**
   * Decoded messages that passed the guard, to every handler. Messages that arrived while
   * no handler was there are delivered to the next one, at once.
   */
  onMessage(handler: (msg: In) => void): LinkSubscription;
  /** Frames that could not be decoded, or that failed the guard: the error names why. */
  onBadFrame(handler: (err: CrewError) => void): LinkSubscription;
  /** Ends a peer that stays silent for `timeoutMs`. */
  startHeartbeat(timeoutMs: number): void;
}

/** A link before authentication: JSON text frames only, until {@link HandshakeLink.open}. */
export interface HandshakeLink extends LinkBase {
  sendText(text: string): void;
  /** Handshake text frames, until the link is opened. */
  onText(handler: (text: string) => void): void;
  /**
   * Switches to binary frames, accepting what `accepts` lets through, each authenticated by
   * `seal` (the handshake's keys). Returns the same link, typed by its direction.
   */
  open<In, Out>(accepts: Direction<In>, seal?: FrameSeal): Link<In, Out>;
}

/** The master's end of a worker connection. */
export type MasterEnd = Link<WorkerToMaster, MasterToWorker>;
/** A worker's end of its master's connection. */
export type WorkerEnd = Link<MasterToWorker, WorkerToMaster>;

/** The message for a frame that failed its direction's guard; tests and the audit trail read it. */
export function refusedText(sender: string, why: string): string {
  return `frame is not a message a ${sender} sends: ${why}`;
}
