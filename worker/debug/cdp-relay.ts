/**
 * Relays raw CDP between the master and the eval thread's inspector, one inspector session
 * per relay session. Only the eval thread is exposed: pausing the worker's main thread would
 * stop its heartbeats.
 *
 * Almost everything passes through unchanged, `Debugger.setInstrumentationBreakpoint`
 * included: V8 then holds a form before it runs until the debugger has bound the form's
 * breakpoints through its source map. Three things are the relay's own:
 * - a pause the debugger is not told of yet, a {@link PendingPause}: while the Crew Debugger
 *   is on, the thread pauses at every throw and the Crew Debugger resumes at once those the
 *   user's code catches, or Crew's own code throws and catches (uncaught-check.ts), so the
 *   debugger is told of a throw only once it has become a suspension (`suspended()`) and
 *   VS Code does not flash a pause at each of them; and a debugger that attaches while the
 *   Crew Debugger holds the thread at a throw is told of that pause once it has asked to stop
 *   at throws (VS Code's resumes exception pauses it did not ask for);
 * - that pause at attach is one V8 says is for no reason ("other", which VS Code words as a
 *   `debugger` statement): the relay says it is at that exception, with the error's text;
 * - a debugger that leaves while the thread is paused for it (a breakpoint, a step) lets the
 *   thread go, so a closed debug session never leaves a worker stopped.
 *
 * The Crew Debugger decides which throws escape because V8 cannot. V8 predicts at each throw
 * whether a handler will catch it (`data.uncaught` of `Debugger.paused`, and the `uncaught`
 * pause state), but in Node 20, 22 and 24 alike it counts `vm`'s own native handler around a
 * script and the `try` of Crew's evaluator around every form: a throw in a form is "caught"
 * while the form's frames are live, and "uncaught" only at Node's rethrow out of `vm`, after
 * they are gone. So the debug agent reads the frames' own code instead (catch-site.ts).
 */
import { Session } from 'node:inspector';
import type { CdpToMaster } from '../../protocol/messages/cdp-messages';
import { onInspectorEvent } from './inspector-events';
import { inspectedThreadId, type InspectedWorkerInfo } from './inspected-thread';
import type { RemoteObject } from './eval-thread-inspector';

interface RelaySession {
  session: Session;
  workerSession?: string;
  queue: string[];
  /** The thread is paused, as this session last heard. */
  paused: boolean;
  /** The debugger asked to stop at thrown exceptions (any state but `none`). */
  stopsAtThrows: boolean;
  /** A pause the thread is at that this debugger has not been told of yet. */
  pending?: PendingPause;
}

/**
 * A `Debugger.paused` kept from a debugger, and what it waits for:
 * - `crewDecides`: a throw the Crew Debugger has yet to decide on; told when it becomes a
 *   suspension, or never, when the Crew Debugger resumes it (something catches it);
 * - `throwFilters`: the Crew Debugger's suspension, found by a debugger that attached during
 *   it; told once the debugger asks to stop at throws, or after {@link HOLD_PAUSE_MS}.
 * If the thread goes on first, neither the pause nor its `Debugger.resumed` is told.
 */
interface PendingPause {
  message: string;
  waitsFor: 'crewDecides' | 'throwFilters';
  timer?: NodeJS.Timeout;
}

/**
 * V8 keeps one pause-on-exceptions state for a thread, whichever session set it last: a
 * debugger that asks for none would stop the Crew Debugger from seeing any throw. While it
 * debugs, the state stays `all`; it resumes at once the throws the user's code catches.
 */
function keepAllThrows(message: PauseOnExceptions): string {
  return JSON.stringify({ ...message, params: { ...message.params, state: 'all' } });
}

type PauseOnExceptions = { method: 'Debugger.setPauseOnExceptions'; params: { state: string } };

/** The command that sets a thread's pause-on-exceptions state, parsed, if `message` is one. */
function pauseOnExceptions(message: string): PauseOnExceptions | undefined {
  if (!message.includes('"Debugger.setPauseOnExceptions"')) return undefined;
  const m = JSON.parse(message) as { method?: string; params?: { state?: string } };
  return m.method === 'Debugger.setPauseOnExceptions' && typeof m.params?.state === 'string'
    ? (m as PauseOnExceptions)
    : undefined;
}

/** Ids of the relay's own commands, far above any a debugger uses. */
const OWN_IDS = 2_000_000_000;

/**
 * How long the exception pause found at attach waits for the debugger to ask for throws.
 * VS Code's js-debug resumes an exception pause its filters do not ask for, and its filters
 * arrive after it has attached (Crew's extension asks for caught exceptions then). That is a
 * round trip through the window, which took more than 3 s on a busy 2-core machine; a
 * debugger that never asks still hears of the pause, later.
 */
const HOLD_PAUSE_MS = 10_000;

/** How long a leaving session waits for the thread to take its resume. */
const RESUME_WAIT_MS = 1000;

export class CdpRelay {
  private readonly sessions = new Map<number, RelaySession>();
  private ownId = OWN_IDS;
  private readonly ownReplies = new Map<number, () => void>();

  constructor(
    private readonly threadId: () => number,
    private readonly send: (m: CdpToMaster) => void,
    /** The error the Crew Debugger holds the thread at, if any (DebugAgent.pausedAt). */
    private readonly pausedAt: () => RemoteObject | undefined = () => undefined,
    /** The Crew Debugger pauses at every throw now (DebugAgent.debugging). */
    private readonly crewDebugging: () => boolean = () => false,
  ) {}

  open(sid: number): void {
    const session = new Session();
    session.connect();
    const entry: RelaySession = { session, queue: [], paused: false, stopsAtThrows: false };
    this.sessions.set(sid, entry);
    onInspectorEvent(session, 'NodeWorker.attachedToWorker', (params) => {
      const p = params as { sessionId: string; workerInfo: InspectedWorkerInfo };
      // A session closed before its event's turn came has no inspector left to speak to.
      if (this.sessions.get(sid) !== entry || entry.workerSession) return;
      if (inspectedThreadId(p.workerInfo) !== this.threadId()) return;
      entry.workerSession = p.sessionId;
      for (const m of entry.queue.splice(0)) this.forward(entry, m);
    });
    onInspectorEvent(session, 'NodeWorker.detachedFromWorker', (params) => {
      if ((params as { sessionId: string }).sessionId === entry.workerSession)
        this.close(sid, 'the eval thread went away');
    });
    onInspectorEvent(session, 'NodeWorker.receivedMessageFromWorker', (params) => {
      const p = params as { sessionId: string; message: string };
      if (p.sessionId === entry.workerSession) this.fromThread(sid, entry, p.message);
    });
    session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  message(sid: number, message: string): void {
    const entry = this.sessions.get(sid);
    if (!entry) return this.send({ t: 'cdpClose', sid, reason: 'no such relay session' });
    const throws = pauseOnExceptions(message);
    if (throws) entry.stopsAtThrows = throws.params.state !== 'none';
    if (throws && this.crewDebugging()) message = keepAllThrows(throws);
    if (entry.workerSession) this.forward(entry, message);
    else entry.queue.push(message);
    if (entry.stopsAtThrows && entry.pending?.waitsFor === 'throwFilters') this.tellPending(sid, entry);
  }

  /** Tells the debugger of the pause it was kept from. */
  private tellPending(sid: number, entry: RelaySession): void {
    const pending = this.dropPending(entry);
    if (!pending || this.sessions.get(sid) !== entry) return;
    entry.paused = true;
    this.send({ t: 'cdpMessage', sid, message: pending.message });
  }

  private dropPending(entry: RelaySession): PendingPause | undefined {
    const pending = entry.pending;
    entry.pending = undefined;
    clearTimeout(pending?.timer);
    return pending;
  }

  close(sid: number, reason?: string): void {
    const entry = this.sessions.get(sid);
    if (!entry) return;
    this.sessions.delete(sid);
    this.dropPending(entry);
    if (reason) this.send({ t: 'cdpClose', sid, reason });
    // A pause the Crew Debugger holds stays there, with its restarts; any other is this debugger's.
    if (!entry.paused || !entry.workerSession || this.pausedAt()) return this.detach(entry);
    // Enabled first: a debugger may have switched its Debugger domain off before leaving.
    this.own(entry, 'Debugger.enable');
    // Declared first: the reply can come at once (a session already gone), before the timer is set.
    let timer: NodeJS.Timeout | undefined;
    let answered = false;
    const id = this.own(entry, 'Debugger.resume', () => {
      answered = true;
      clearTimeout(timer);
      this.detach(entry);
    });
    if (answered) return;
    timer = setTimeout(() => {
      this.ownReplies.delete(id);
      this.detach(entry);
    }, RESUME_WAIT_MS);
  }

  /** The Crew Debugger suspended the thread at the throw it paused at: the debuggers hear of it now. */
  suspended(): void {
    for (const [sid, entry] of this.sessions)
      if (entry.pending?.waitsFor === 'crewDecides') this.tellPending(sid, entry);
  }

  closeAll(reason: string): void {
    for (const sid of [...this.sessions.keys()]) this.close(sid, reason);
  }

  private fromThread(sid: number, entry: RelaySession, message: string): void {
    const m = JSON.parse(message) as {
      id?: number;
      method?: string;
      params?: { reason?: string; hitBreakpoints?: string[]; data?: unknown };
    };
    if (m.id !== undefined && m.id >= OWN_IDS) {
      this.ownReplies.get(m.id)?.();
      this.ownReplies.delete(m.id);
      return;
    }
    if (m.method === 'Debugger.resumed') {
      // The thread went on before this debugger was told of the pause: nor is it told of the resume.
      if (this.dropPending(entry)) return;
      entry.paused = false;
    }
    if (m.method === 'Debugger.paused' && m.params) {
      const thrown = this.pausedAt();
      const atThrow = m.params.reason === 'exception' || m.params.reason === 'promiseRejection';
      if (atThrow && this.crewDebugging() && !thrown)
        return void (entry.pending = { message, waitsFor: 'crewDecides' });
      if (thrown && m.params.reason === 'other' && !m.params.hitBreakpoints?.length) {
        // The object's id belongs to the Crew Debugger's inspector session, not to this one.
        const data: RemoteObject = { ...thrown };
        delete data.objectId;
        m.params.reason = 'exception';
        m.params.data = data;
        message = JSON.stringify(m);
        if (!entry.stopsAtThrows) {
          const timer = setTimeout(() => this.tellPending(sid, entry), HOLD_PAUSE_MS);
          return void (entry.pending = { message, waitsFor: 'throwFilters', timer });
        }
      }
      entry.paused = true;
    }
    if (this.sessions.get(sid) === entry) this.send({ t: 'cdpMessage', sid, message });
  }

  /**
   * Ends the session on the thread as well: the thread's side of a NodeWorker session
   * outlives the main thread's session, and would keep its breakpoints (and its pause before
   * every form) with no debugger left to resume them.
   */
  private detach(entry: RelaySession): void {
    if (entry.workerSession) entry.session.post('NodeWorker.detach', { sessionId: entry.workerSession });
    entry.session.disconnect();
  }

  /** A command of the relay's own; its reply is not the debugger's. */
  private own(entry: RelaySession, method: string, replied?: () => void): number {
    const id = this.ownId++;
    if (replied) this.ownReplies.set(id, replied);
    this.forward(entry, JSON.stringify({ id, method, params: {} }));
    return id;
  }

  private forward(entry: { session: Session; workerSession?: string }, message: string): void {
    entry.session.post('NodeWorker.sendMessageToWorker', { sessionId: entry.workerSession!, message });
  }
}
