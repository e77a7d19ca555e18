/**
 * The masters a worker serves, each in a session of its own (worker-session.ts), up to
 * `maxSessions` at once. No master displaces another: one more is told the limit and turned
 * away. A master that comes back after its link dropped (the same pool redialing) gets its own
 * session back if it returns within the resume window (a listening worker's heartbeat
 * timeout); after that, or when it shuts its job down, the session ends and its eval thread is
 * freed. A session waiting for its master gives up its slot to a new master that needs it.
 */
import { ErrorCodes } from '../../protocol/errors';
import { CloseCodes, type WorkerEnd } from '../../protocol/link/link';
import { dropEarlyEvalThread, startEvalThreadEarly } from '../eval-thread/eval-thread-start';
import { WorkerSession, type WorkerSessionOptions, type SessionOutcome } from './worker-session';

export type { SessionOutcome } from './worker-session';

export interface WorkerSessionsOptions extends WorkerSessionOptions {
  /** Masters served at once. */
  maxSessions: number;
  /** How long a session whose link dropped waits for its master to redial (Infinity: always). */
  resumeWindowMs: number;
  /** Keep an eval thread started for the next master's session, so its first task does not wait. */
  spareThread: boolean;
}

/** The table of this worker's sessions, keyed by their masters; see the file's comment. */
export class WorkerSessions {
  /** Sessions by the key of their master: its pool's instance id, or one of its own. */
  private readonly sessions = new Map<string, WorkerSession>();
  private nextId = 1;
  /** Sessions being ended: their eval threads may still be letting go of a debugger. */
  private readonly ending = new Set<Promise<void>>();
  /** Why the worker is leaving (its batch job ends), once it is. */
  private leavingReason?: string;

  constructor(private readonly opts: WorkerSessionsOptions) {
    if (opts.spareThread) startEvalThreadEarly(opts.evalHeapMb);
  }

  /**
   * Serves one authenticated master until its link ends. `master` names it across its redials
   * (the pool's instance id from the handshake); without one, the link gets a session that no
   * later link resumes. Resolves `refused` at once when the worker already serves its limit.
   */
  async serve(link: WorkerEnd, master?: string): Promise<SessionOutcome | 'refused'> {
    // A dial that completes as the worker leaves: it must not take work.
    if (this.leavingReason !== undefined) {
      link.dispose(CloseCodes.Normal, this.leavingReason);
      return 'closed';
    }
    const key = master ?? `link-${this.nextId}`;
    const session = this.sessions.get(key) ?? this.open(key, link);
    if (!session) return 'refused';
    clearTimeout(session.expiry);
    const outcome = await session.serve(link);
    // A master that ends its job, or a pool closed while it redialed, ends its session at once.
    if (outcome === 'shutdown' || link.peerCloseCode === CloseCodes.Shutdown)
      await this.end(key, session, 'the master ended its job');
    else if (!session.attached && this.sessions.get(key) === session) this.awaitReturn(key, session);
    return outcome;
  }

  /**
   * Leaves every master on purpose (the batch job ends): each is told, gets back the tasks that
   * have not started, and may see the running one finish until `deadline` (ms since the epoch).
   */
  async leave(reason: string, deadline: number): Promise<void> {
    this.leavingReason = reason;
    await Promise.all([...this.sessions.values()].map((s) => s.leave(reason, deadline)));
  }

  /**
   * Ends every session but `keep`'s: a worker that dials in serves one master, and a different
   * master answering at its master's address (a restart, another job) must not inherit them.
   */
  async endOthers(keep: string, reason: string): Promise<void> {
    await Promise.all([...this.sessions].filter(([key]) => key !== keep).map(([key, s]) => this.end(key, s, reason)));
  }

  /** Ends every session, for a worker that is closing; resolves once every eval thread is gone. */
  async close(reason: string): Promise<void> {
    for (const [key, session] of this.sessions) void this.end(key, session, reason);
    // Also those ended before: a process that exits while a thread is still paused never ends.
    await Promise.all(this.ending);
    dropEarlyEvalThread();
  }

  /** A session for a new master, if there is room; a master gone quiet gives up its slot first. */
  private open(key: string, link: WorkerEnd): WorkerSession | undefined {
    const { audit, maxSessions, info } = this.opts;
    if (this.sessions.size >= maxSessions) {
      const idle = [...this.sessions]
        .filter(([, s]) => !s.attached)
        .sort(([, a], [, b]) => a.detachedAt - b.detachedAt);
      if (idle.length > 0) void this.end(idle[0][0], idle[0][1], 'its slot went to a new master');
      else {
        const message =
          `worker ${info.name} is serving ${maxSessions} master${maxSessions === 1 ? '' : 's'}, ` +
          `its --max-sessions limit; try again when one of them ends its job`;
        audit.log('refused', { master: link.peer, code: ErrorCodes.WorkerBusy, reason: message });
        link.send({ t: 'protocolError', code: ErrorCodes.WorkerBusy, message });
        link.dispose(CloseCodes.WorkerBusy, 'the worker is serving its --max-sessions limit');
        return undefined;
      }
    }
    const session = new WorkerSession(this.nextId++, this.opts);
    this.sessions.set(key, session);
    audit.log('session', {
      session: session.id,
      opened: link.peer,
      tls: link.channel ? true : undefined,
      sessions: this.sessions.size,
    });
    if (this.opts.spareThread && this.sessions.size < maxSessions) startEvalThreadEarly(this.opts.evalHeapMb);
    return session;
  }

  /** Keeps a session whose link dropped for a while, for its master to redial. */
  private awaitReturn(key: string, session: WorkerSession): void {
    const ms = this.opts.resumeWindowMs;
    if (ms === Infinity) return;
    session.expiry = setTimeout(() => void this.end(key, session, `its master did not come back within ${ms} ms`), ms);
    session.expiry.unref();
  }

  private async end(key: string, session: WorkerSession, reason: string): Promise<void> {
    if (this.sessions.get(key) !== session) return;
    this.sessions.delete(key);
    this.opts.audit.log('session', { session: session.id, ended: reason, sessions: this.sessions.size });
    const ending = session.dispose(reason);
    this.ending.add(ending);
    await ending.finally(() => this.ending.delete(ending));
  }
}
