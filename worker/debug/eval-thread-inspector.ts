/**
 * The debug agent's connection to the eval thread's V8 inspector. The worker's main thread
 * opens an inspector connection to itself and reaches the eval thread through the
 * `NodeWorker` domain, as a CDP session on that thread (see inspector-events.ts for the
 * names), so pausing the eval thread never stops the main thread's link to the master. CDP
 * commands go to the thread from here; its `Debugger.*` events come back to the debug agent
 * (debug-agent.ts), which turns them into the worker -> master messages of
 * protocol/messages/debug-messages.ts.
 */
import { InspectorConnection, onInspectorEvent } from './inspector-events';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { inspectedThreadId, type InspectedWorkerInfo } from './inspected-thread';

/** A CDP `Debugger.CallFrame`, as far as the debugger reads it. */
export interface CallFrame {
  callFrameId: string;
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
  scopeChain: { type: string; name?: string; object: { objectId?: string } }[];
}

/** A CDP `Runtime.RemoteObject`, as far as the debugger reads it. */
export interface RemoteObject {
  type: string;
  subtype?: string;
  className?: string;
  value?: unknown;
  description?: string;
  objectId?: string;
  unserializableValue?: string;
}

/** The parameters of CDP's `Debugger.paused`. */
export interface PausedEvent {
  reason: string;
  data?: RemoteObject;
  callFrames: CallFrame[];
}

/** Where a script of the eval thread starts: V8 counts its locations from there. */
export interface ScriptStart {
  startLine: number;
  startColumn: number;
}

/** What the eval thread's inspector reports to the debug agent. */
export interface InspectorEvents {
  /** The followed thread's inspector is reachable (again): configure it. */
  attached(): void;
  paused(event: PausedEvent): void;
  resumed(): void;
}

type Cdp = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { message: string };
};

export class EvalThreadInspector {
  private readonly connection = new InspectorConnection();
  /** The CDP session on the followed thread, once its inspector is reachable. */
  private threadSessionId?: string;
  private threadId?: number;
  /**
   * Every worker thread's CDP session, by thread id. A thread that was already running when
   * this connection enabled `NodeWorker` is announced at once, before it is followed.
   */
  private readonly threads = new Map<number, string>();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Scripts of the eval thread by id: their names, and where their text starts. */
  private readonly scripts = new Map<string, ScriptStart & { url: string }>();
  private closed = false;

  constructor(private readonly events: InspectorEvents) {
    this.connection.connect();
    onInspectorEvent(this.connection, 'NodeWorker.attachedToWorker', (params) => {
      const p = params as { sessionId: string; workerInfo: InspectedWorkerInfo };
      const threadId = inspectedThreadId(p.workerInfo);
      this.threads.set(threadId, p.sessionId);
      if (threadId !== this.threadId || this.closed) return;
      this.threadSessionId = p.sessionId;
      this.events.attached();
    });
    onInspectorEvent(this.connection, 'NodeWorker.detachedFromWorker', (params) => {
      const gone = (params as { sessionId: string }).sessionId;
      for (const [id, threadSessionId] of this.threads) if (threadSessionId === gone) this.threads.delete(id);
      if (gone !== this.threadSessionId) return;
      this.threadSessionId = undefined;
      this.failPending('the eval thread went away');
    });
    onInspectorEvent(this.connection, 'NodeWorker.receivedMessageFromWorker', (params) => {
      const p = params as { sessionId: string; message: string };
      if (p.sessionId === this.threadSessionId) this.receive(JSON.parse(p.message) as Cdp);
    });
    this.connection.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  /**
   * Follows a (new) eval thread. What was known of the old one is dropped, and what was asked
   * of it fails with `CREW_DEBUG_STALE`: its answers would never be read.
   */
  follow(threadId: number): void {
    if (this.closed) return;
    this.failPending('the eval thread was replaced');
    this.threadId = threadId;
    this.threadSessionId = this.threads.get(threadId);
    this.scripts.clear();
    if (this.threadSessionId) queueMicrotask(() => this.threadId === threadId && this.events.attached());
  }

  /**
   * Ends the connection, as js-debug's CDPSession does on close: what is still asked fails
   * with `CREW_DEBUG_STALE`, the CDP session on the thread is detached (it would keep a
   * pause, or its breakpoints, with nobody left to resume them), and the inspector
   * connection is disconnected. Nothing is followed after this.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failPending('the debugger was closed');
    if (this.threadSessionId) this.connection.post('NodeWorker.detach', { sessionId: this.threadSessionId });
    this.threadSessionId = undefined;
    this.connection.disconnect();
  }

  /** Whether the followed thread's inspector can be spoken to. */
  get attached(): boolean {
    return this.threadSessionId !== undefined;
  }

  /** The thread followed now: a question's answer is only about the thread it was asked of. */
  get followed(): number | undefined {
    return this.threadId;
  }

  /** Sends a CDP command to the eval thread; a CDP error rejects with `CREW_REMOTE_ERROR`. */
  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const sessionId = this.threadSessionId;
    if (!sessionId)
      return Promise.reject(crewError(ErrorCodes.DebugStale, 'the eval thread is not attached to the debugger'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.connection.post('NodeWorker.sendMessageToWorker', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
  }

  /** The script's name as Crew gave it: V8 reports it percent-encoded (`#` as `%23`). */
  urlOf(f: CallFrame): string {
    const url = f.url || this.scripts.get(f.location.scriptId)?.url || '';
    try {
      return decodeURIComponent(url.replace(/^file:\/\//, ''));
    } catch {
      return url;
    }
  }

  /** Where script `scriptId` starts (a form's line in its file); the file's start when unknown. */
  startOf(scriptId: string): ScriptStart {
    return this.scripts.get(scriptId) ?? { startLine: 0, startColumn: 0 };
  }

  private failPending(why: string): void {
    const err = crewError(ErrorCodes.DebugStale, why);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private receive(m: Cdp): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(crewError(ErrorCodes.Remote, m.error.message));
      else p?.resolve(m.result);
      return;
    }
    if (m.method === 'Debugger.scriptParsed') {
      const p = m.params as { scriptId: string; url?: string; startLine?: number; startColumn?: number };
      this.scripts.set(p.scriptId, { url: p.url ?? '', startLine: p.startLine ?? 0, startColumn: p.startColumn ?? 0 });
    } else if (m.method === 'Debugger.paused') this.events.paused(m.params as unknown as PausedEvent);
    else if (m.method === 'Debugger.resumed') this.events.resumed();
  }
}
