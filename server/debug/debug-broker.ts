/**
 * The master's side of remote debugging: it keeps each worker suspension under a pool-wide
 * id (`w2.1`), forwards questions to the worker that owns it over the existing connection,
 * and says so when a suspension ends, including when its worker dies.
 */
import { EventEmitter } from 'node:events';
import type {
  DebugAnswer,
  DebugCondition,
  DebugFrame,
  DebugMode,
  DebugOp,
  DebugRequest,
  DebugResponse,
  Paused,
  Resumed,
} from '../../protocol/messages/debug-messages';
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';

/**
 * What the broker needs of a worker's link (WorkerLink is one): the worker's id, and a way
 * to send it debugger messages over the connection it already has.
 */
export interface DebugPeer {
  /** The worker's id in the pool, `w2`. */
  readonly id: string;
  readonly transport: {
    /** False when the connection is gone. */
    send(message: DebugMode.Msg | DebugRequest.Msg): boolean;
  };
}

/** A suspended evaluation on a worker, as the editor sees it. */
export interface Suspension {
  /** Pool-wide id, `<worker>.<n>`. */
  id: string;
  worker: string;
  taskId?: number;
  condition: DebugCondition;
  frames: DebugFrame[];
}

export interface DebugBrokerEvents {
  paused: [Suspension];
  resumed: [id: string, how: string];
}

/** The pool's remote debugging: its workers' suspensions, and the questions asked of them. */
export class DebugBroker extends EventEmitter<DebugBrokerEvents> {
  private readonly suspensions = new Map<string, { link: DebugPeer; pauseId: number; s: Suspension }>();
  private readonly pending = new Map<
    number,
    { resolve: (a: DebugAnswer) => void; reject: (e: Error) => void; link: DebugPeer }
  >();
  private nextReq = 1;
  /** Whether workers suspend at errors (an editor is attached). */
  enabled = false;

  list(): Suspension[] {
    return [...this.suspensions.values()].map((x) => x.s);
  }

  /** Tells one worker, or all of them, whether to suspend at errors. */
  setMode(on: boolean, links: Iterable<DebugPeer>): void {
    this.enabled = on;
    for (const link of links) link.transport.send({ t: 'debugMode', on });
  }

  onPaused(link: DebugPeer, m: Paused.Msg): void {
    const s: Suspension = {
      id: `${link.id}.${m.pauseId}`,
      worker: link.id,
      taskId: m.taskId,
      condition: m.condition,
      frames: m.frames,
    };
    this.suspensions.set(s.id, { link, pauseId: m.pauseId, s });
    this.emit('paused', s);
  }

  onResumed(link: DebugPeer, m: Resumed.Msg): void {
    const id = `${link.id}.${m.pauseId}`;
    if (this.suspensions.delete(id)) this.emit('resumed', id, m.how);
  }

  /**
   * An answer from the worker on `link`. It settles its request only if `link` is the
   * connection the request went out on: reqIds are sequential and any worker in the pool can
   * name one, so without this check w3 could forge the frames, locals or evaluate result shown
   * for w2. Any other answer is refused, and the request keeps waiting for its own worker.
   *
   * @returns why the answer was refused (CREW_BAD_FRAME, with `request` and, when the request
   * exists, `askedOf` in its details), for the caller to audit and tell the sender; or
   * undefined when it was taken.
   */
  onResponse(link: DebugPeer, m: DebugResponse.Msg): CrewError | undefined {
    const p = this.pending.get(m.reqId);
    if (!p)
      return crewError(
        ErrorCodes.BadFrame,
        `debugResponse from ${link.id} refused: request ${m.reqId} is not waiting for an answer`,
        { request: m.reqId },
      );
    // The link object, not its id: the answer must come over the very connection asked.
    if (p.link !== link)
      return crewError(
        ErrorCodes.BadFrame,
        `debugResponse from ${link.id} refused: request ${m.reqId} was sent to ${p.link.id}, not to ${link.id}; ` +
          `it still waits for ${p.link.id}'s answer`,
        { request: m.reqId, askedOf: p.link.id },
      );
    this.pending.delete(m.reqId);
    if (m.ok) p.resolve(m.answer);
    else p.reject(crewError(m.code === ErrorCodes.DebugStale ? ErrorCodes.DebugStale : ErrorCodes.Remote, m.message));
    return undefined;
  }

  /** Asks the worker that owns suspension `id`. A suspension that has ended is refused. */
  request(id: string, req: DebugOp): Promise<DebugAnswer> {
    const entry = this.suspensions.get(id);
    if (!entry)
      return Promise.reject(crewError(ErrorCodes.DebugStale, `suspension ${id} has already ended; nothing was done`));
    const reqId = this.nextReq++;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject, link: entry.link });
      if (!entry.link.transport.send({ t: 'debugRequest', reqId, pauseId: entry.pauseId, req })) {
        this.pending.delete(reqId);
        reject(crewError(ErrorCodes.WorkerLost, `worker ${entry.link.id} is gone`));
      }
    });
  }

  /** A worker went away: its suspensions end, and questions to it fail. */
  onLinkClosed(link: DebugPeer): void {
    for (const [id, entry] of this.suspensions) {
      if (entry.link !== link) continue;
      this.suspensions.delete(id);
      this.emit('resumed', id, `worker ${link.id} died while suspended; its task moves to another worker`);
    }
    for (const [reqId, p] of this.pending) {
      if (p.link !== link) continue;
      this.pending.delete(reqId);
      p.reject(crewError(ErrorCodes.WorkerLost, `worker ${link.id} went away`));
    }
  }
}
