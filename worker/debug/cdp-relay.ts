/**
 * Relays raw CDP between the master and the eval thread's inspector for each debugger attached
 * through the master's CDP endpoint, over an inspector connection of its own per debugger
 * (see inspector-events.ts for the names). Only the eval thread is exposed: pausing the worker's main thread would
 * stop its heartbeats.
 *
 * Almost everything passes through unchanged, `Debugger.setInstrumentationBreakpoint`
 * included: V8 then holds a form, or a shipped module, before it runs until the debugger has
 * bound the file's breakpoints through its source map. Four things are the relay's own:
 * - a debugger that asks targets to wait for it on start (VS Code's) sets itself up for a
 *   while after it attaches; until it says it is set up, the relay holds the thread before
 *   each form and shipped module itself, and tells the debugger of that pause then
 *   (start-hold.ts), so that none runs before the debugger has bound its breakpoints;
 * - a pause the debugger is not told of yet, a {@link PendingPause}: while the Crew Debugger
 *   is on, the thread pauses at every throw and the Crew Debugger resumes at once those the
 *   user's code catches, or Crew's own code throws and catches (uncaught-check.ts), so the
 *   debugger is told of a throw only once it has become a suspension (`suspended()`) and
 *   VS Code does not flash a pause at each of them; and a debugger that attaches while the
 *   Crew Debugger holds the thread at a throw is told of that pause once it has asked to stop
 *   at throws, or has said it is set up (VS Code's resumes exception pauses it did not ask for);
 * - that pause at attach is one V8 says is for no reason ("other", which VS Code words as a
 *   `debugger` statement): the relay says it is at that exception, with the error's text;
 * - a debugger that leaves while the thread is paused for it (a breakpoint, a step) lets the
 *   thread go, so a closed debug session never leaves a worker stopped.
 *
 * The Crew Debugger, not V8, decides which throws escape: V8's prediction counts the handlers
 * of `vm` and of Crew's evaluator around every form (catch-site.ts).
 */
import type { CdpToMaster } from '../../protocol/messages/cdp-messages';
import { InspectorConnection, onInspectorEvent } from './inspector-events';
import {
  asksTargetsToWait,
  enablesDebugger,
  keepAllThrows,
  pauseOnExceptions,
  saysSetUp,
  setsInstrumentation,
} from './relay-commands';
import { inspectedThreadId, type InspectedWorkerInfo } from './inspected-thread';
import { StartHold, type OwnReply } from './start-hold';
import type { PendingPause, RelayedDebugger } from './relayed-debugger';
import type { RemoteObject } from './eval-thread-inspector';

/** Ids of the relay's own commands, far above any a debugger uses. */
const OWN_IDS = 2_000_000_000;

/**
 * How long the exception pause found at attach waits for a debugger that neither asks for
 * throws nor says it is set up (a bare CDP client), and the thread is held before scripts for
 * a debugger that asked targets to wait but does not say it is set up. VS Code's js-debug says
 * both, after a round trip through the window that took more than 10 s on a 2-core machine
 * under load; it is not timed, and this limit only bounds how long a debugger that never says
 * it is set up keeps the thread waiting.
 */
const HOLD_PAUSE_MS = 30_000;

/** How long a leaving debugger waits for the thread to take its resume. */
const RESUME_WAIT_MS = 1000;

export class CdpRelay {
  private readonly debuggers = new Map<number, RelayedDebugger>();
  private ownId = OWN_IDS;
  private readonly ownReplies = new Map<number, (reply: OwnReply) => void>();

  constructor(
    private readonly threadId: () => number,
    private readonly send: (m: CdpToMaster) => void,
    /** The error the Crew Debugger holds the thread at, if any (DebugAgent.pausedAt). */
    private readonly pausedAt: () => RemoteObject | undefined = () => undefined,
    /** The Crew Debugger pauses at every throw now (DebugAgent.debugging). */
    private readonly crewDebugging: () => boolean = () => false,
  ) {}

  /** A debugger attached through the master (`cdpOpen`): its own CDP session on the eval thread. */
  open(debuggerId: number): void {
    const connection = new InspectorConnection();
    connection.connect();
    const entry: RelayedDebugger = {
      connection,
      queue: [],
      paused: false,
      stopsAtThrows: false,
      setUp: false,
      waitsForSetUp: false,
    };
    this.debuggers.set(debuggerId, entry);
    onInspectorEvent(connection, 'NodeWorker.attachedToWorker', (params) => {
      const p = params as { sessionId: string; workerInfo: InspectedWorkerInfo };
      // A debugger that left before this event's turn came has no inspector left to speak to.
      if (this.debuggers.get(debuggerId) !== entry || entry.threadSessionId) return;
      if (inspectedThreadId(p.workerInfo) !== this.threadId()) return;
      entry.threadSessionId = p.sessionId;
      for (const m of entry.queue.splice(0)) this.forward(entry, m);
    });
    onInspectorEvent(connection, 'NodeWorker.detachedFromWorker', (params) => {
      if ((params as { sessionId: string }).sessionId === entry.threadSessionId)
        this.close(debuggerId, 'the eval thread went away');
    });
    onInspectorEvent(connection, 'NodeWorker.receivedMessageFromWorker', (params) => {
      const p = params as { sessionId: string; message: string };
      if (p.sessionId === entry.threadSessionId) this.fromThread(debuggerId, entry, p.message);
    });
    connection.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  /** One CDP message from debugger `debuggerId` (`cdpMessage`), for the eval thread. */
  message(debuggerId: number, message: string): void {
    const entry = this.debuggers.get(debuggerId);
    if (!entry) return this.send({ t: 'cdpClose', debuggerId, reason: 'no such debugger on this worker' });
    const throws = pauseOnExceptions(message);
    if (throws) entry.stopsAtThrows = throws.params.state !== 'none';
    if (throws && this.crewDebugging()) message = keepAllThrows(throws);
    if (!entry.setUp && asksTargetsToWait(message)) entry.waitsForSetUp = true;
    // V8 would refuse the debugger's own pause before scripts beside the relay's.
    if (entry.startHold?.holding && setsInstrumentation(message)) entry.startHold.yieldTo(message);
    else this.post(entry, message);
    if (entry.waitsForSetUp && !entry.startHold && enablesDebugger(message)) this.startHolding(debuggerId, entry);
    if (saysSetUp(message)) {
      entry.setUp = true;
      this.endHold(debuggerId, entry);
    }
    if (entry.pending?.waitsFor === 'throwFilters' && (entry.stopsAtThrows || entry.setUp))
      this.tellPending(debuggerId, entry);
  }

  /** From the debugger's `Debugger.enable` on, the thread pauses before each script with a source map. */
  private startHolding(debuggerId: number, entry: RelayedDebugger): void {
    const session = {
      own: (method: string, params: object, replied?: (reply: OwnReply) => void) =>
        void this.own(entry, method, replied, params),
      pass: (message: string) => this.post(entry, message),
    };
    entry.startHold = new StartHold(session, HOLD_PAUSE_MS, () => this.endHold(debuggerId, entry));
  }

  /** The debugger is set up (or took too long): the relay's pause goes, and the one it held is told. */
  private endHold(debuggerId: number, entry: RelayedDebugger): void {
    entry.waitsForSetUp = false;
    entry.startHold?.end();
    if (entry.pending?.waitsFor === 'setUp') this.tellPending(debuggerId, entry);
  }

  /** Tells the debugger of the pause it was kept from. */
  private tellPending(debuggerId: number, entry: RelayedDebugger): void {
    const pending = this.dropPending(entry);
    if (!pending || this.debuggers.get(debuggerId) !== entry) return;
    entry.paused = true;
    const message = pending.asGiven && !entry.stopsAtThrows ? pending.asGiven : pending.message;
    this.send({ t: 'cdpMessage', debuggerId, message });
  }

  private dropPending(entry: RelayedDebugger): PendingPause | undefined {
    const pending = entry.pending;
    entry.pending = undefined;
    clearTimeout(pending?.timer);
    return pending;
  }

  /** Debugger `debuggerId` left (`cdpClose`), or is sent away with `reason`. */
  close(debuggerId: number, reason?: string): void {
    const entry = this.debuggers.get(debuggerId);
    if (!entry) return;
    this.debuggers.delete(debuggerId);
    entry.startHold?.cancel();
    // The relay's own pause before a script is let go, as a pause of the debugger's would be.
    if (this.dropPending(entry)?.waitsFor === 'setUp') entry.paused = true;
    if (reason) this.send({ t: 'cdpClose', debuggerId, reason });
    // A pause the Crew Debugger holds stays there, with its restarts; any other is this debugger's.
    if (!entry.paused || !entry.threadSessionId || this.pausedAt()) return this.detach(entry);
    // Enabled first: a debugger may have switched its Debugger domain off before leaving.
    this.own(entry, 'Debugger.enable');
    // Declared first: the reply can come at once (a thread already gone), before the timer is set.
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
    for (const [debuggerId, entry] of this.debuggers)
      if (entry.pending?.waitsFor === 'crewDecides') this.tellPending(debuggerId, entry);
  }

  /** Every debugger is sent away with `reason` (the master went, or the session ends). */
  closeAll(reason: string): void {
    for (const debuggerId of [...this.debuggers.keys()]) this.close(debuggerId, reason);
  }

  private fromThread(debuggerId: number, entry: RelayedDebugger, message: string): void {
    const m = JSON.parse(message) as {
      id?: number;
      method?: string;
      params?: { reason?: string; hitBreakpoints?: string[]; data?: unknown };
    };
    if (m.id !== undefined && m.id >= OWN_IDS) {
      this.ownReplies.get(m.id)?.(m as OwnReply);
      this.ownReplies.delete(m.id);
      return;
    }
    if (m.method === 'Debugger.resumed') {
      // The thread went on before this debugger was told of the pause: nor is it told of the resume.
      if (this.dropPending(entry)) return;
      entry.paused = false;
    }
    if (m.method === 'Debugger.paused' && m.params) {
      if (m.params.reason === 'instrumentation' && entry.waitsForSetUp && entry.startHold)
        return void (entry.pending = { message, waitsFor: 'setUp' });
      const thrown = this.pausedAt();
      const atThrow = m.params.reason === 'exception' || m.params.reason === 'promiseRejection';
      if (atThrow && this.crewDebugging() && !thrown)
        return void (entry.pending = { message, waitsFor: 'crewDecides' });
      if (thrown && m.params.reason === 'other' && !m.params.hitBreakpoints?.length) {
        // The object's id belongs to the Crew Debugger's CDP session, not to this debugger's.
        const data: RemoteObject = { ...thrown };
        delete data.objectId;
        m.params.data = data;
        const asGiven = JSON.stringify(m);
        m.params.reason = 'exception';
        message = JSON.stringify(m);
        if (!entry.stopsAtThrows && entry.setUp) message = asGiven;
        else if (!entry.stopsAtThrows) {
          const timer = setTimeout(() => this.tellPending(debuggerId, entry), HOLD_PAUSE_MS);
          return void (entry.pending = { message, asGiven, waitsFor: 'throwFilters', timer });
        }
      }
      entry.paused = true;
    }
    if (this.debuggers.get(debuggerId) === entry) this.send({ t: 'cdpMessage', debuggerId, message });
  }

  /**
   * Ends the CDP session on the thread as well: it outlives the main thread's inspector
   * connection, and would keep its breakpoints (and its pause before
   * every form) with no debugger left to resume them.
   */
  private detach(entry: RelayedDebugger): void {
    if (entry.threadSessionId) entry.connection.post('NodeWorker.detach', { sessionId: entry.threadSessionId });
    entry.connection.disconnect();
  }

  /** A command of the relay's own; its reply is not the debugger's. */
  private own(entry: RelayedDebugger, method: string, replied?: (reply: OwnReply) => void, params = {}): number {
    const id = this.ownId++;
    if (replied) this.ownReplies.set(id, replied);
    this.post(entry, JSON.stringify({ id, method, params }));
    return id;
  }

  /** To the thread, or queued until the thread is reached. */
  private post(entry: RelayedDebugger, message: string): void {
    if (entry.threadSessionId) this.forward(entry, message);
    else entry.queue.push(message);
  }

  private forward(entry: RelayedDebugger, message: string): void {
    entry.connection.post('NodeWorker.sendMessageToWorker', { sessionId: entry.threadSessionId!, message });
  }
}
