/**
 * A CDP session of its own on the eval thread, over an inspector connection of its own, opened
 * for one profile and closed after it (see inspector-events.ts for the names). It is separate
 * from the debug agent's (eval-thread-inspector.ts) and from VS Code's (cdp-relay.ts), so a
 * profile neither changes nor waits for what a debugger set up, and costs nothing while no
 * profile is taken. Like theirs, it reaches the eval thread through the `NodeWorker` domain of
 * a connection on the main thread, whose events are handled only through onInspectorEvent
 * (see inspector-events.ts for why).
 */
import { crewError, ErrorCodes } from '../../protocol/errors';
import { inspectedThreadId, type InspectedWorkerInfo } from './inspected-thread';
import { InspectorConnection, onInspectorEvent } from './inspector-events';

type Cdp = { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };

/** How long the eval thread's inspector may take to be reached. */
const ATTACH_MS = 10_000;

export class ThreadSession {
  private readonly connection = new InspectorConnection();
  private threadSessionId?: string;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, (params: unknown) => void>();
  private closed = false;
  private disconnected = false;
  private attach?: { resolve: () => void; reject: (e: Error) => void };

  private constructor(private readonly threadId: number) {}

  /** Opens a session to eval thread `threadId`; fails with CREW_PROFILE_FAILED when it cannot be reached. */
  static async open(threadId: number): Promise<ThreadSession> {
    const s = new ThreadSession(threadId);
    try {
      await s.connect();
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }

  private connect(): Promise<void> {
    this.connection.connect();
    const attached = new Promise<void>((resolve, reject) => (this.attach = { resolve, reject }));
    onInspectorEvent(this.connection, 'NodeWorker.attachedToWorker', (params) => {
      const p = params as { sessionId: string; workerInfo: InspectedWorkerInfo };
      if (this.closed || this.threadSessionId || inspectedThreadId(p.workerInfo) !== this.threadId) return;
      this.threadSessionId = p.sessionId;
      this.attach?.resolve();
    });
    onInspectorEvent(this.connection, 'NodeWorker.detachedFromWorker', (params) => {
      if ((params as { sessionId: string }).sessionId === this.threadSessionId) this.fail('the eval thread went away');
    });
    onInspectorEvent(this.connection, 'NodeWorker.receivedMessageFromWorker', (params) => {
      const p = params as { sessionId: string; message: string };
      if (p.sessionId === this.threadSessionId) this.receive(JSON.parse(p.message) as Cdp);
    });
    this.connection.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    const timer = setTimeout(() => this.fail('the eval thread did not answer its inspector'), ATTACH_MS);
    return attached.finally(() => clearTimeout(timer));
  }

  /** Calls `handler` for each `method` event of the eval thread (one handler per method). */
  on(method: string, handler: (params: unknown) => void): void {
    this.listeners.set(method, handler);
  }

  /** Sends a CDP command to the eval thread; an error rejects with CREW_PROFILE_FAILED. */
  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    if (this.closed || !this.threadSessionId)
      return Promise.reject(crewError(ErrorCodes.ProfileFailed, 'the eval thread is not reachable'));
    const id = this.nextId++;
    const sessionId = this.threadSessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.connection.post('NodeWorker.sendMessageToWorker', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
  }

  /** Ends the session; what it left enabled on the thread ends with it. */
  close(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.fail('the profile ended');
    this.connection.disconnect();
  }

  private fail(why: string): void {
    this.closed = true;
    const err = crewError(ErrorCodes.ProfileFailed, why);
    this.attach?.reject(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private receive(m: Cdp): void {
    if (m.id === undefined) {
      if (m.method) this.listeners.get(m.method)?.(m.params);
      return;
    }
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (m.error) p?.reject(crewError(ErrorCodes.ProfileFailed, m.error.message));
    else p?.resolve(m.result);
  }
}
