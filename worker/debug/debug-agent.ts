/**
 * The worker's debug agent. From the main thread it debugs the eval thread through its
 * inspector (eval-thread-inspector.ts): it suspends at errors that user code lets escape
 * (uncaught-check.ts) and at the master's interrupts, reports the live frames mapped to the
 * user's source (suspension-report.ts), and answers questions about them and restarts
 * (suspension-requests.ts).
 *
 * Its messages are declared in protocol/messages/debug-messages.ts. The master sends
 * `debugMode`, `debugSuspend` and `debugRequest`; worker/process/master-messages.ts hands
 * them here, and the master's session (worker/process/worker-session.ts) sends the `paused`
 * and `resumed` events this agent emits to its master as `debugPaused` and `debugResumed`.
 * On the master, server/debug/debug-broker.ts keeps the suspension, server/lsp/debug.ts
 * forwards it to the editor, and extension/debugger/ shows it.
 */
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { DebugAnswer, DebugCondition, DebugOp, Paused, Resumed } from '../../protocol/messages/debug-messages';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { FormDef } from '../../protocol/messages/worker-link-messages';
import { EvalThreadInspector, type PausedEvent, type RemoteObject } from './eval-thread-inspector';
import { debugFrame, describeThrown } from './suspension-report';
import { answer, restart, type RequestContext, type Suspension } from './suspension-requests';
import { UncaughtCheck } from './uncaught-check';
import { SourceMaps } from '../image/source-maps';

export interface DebugAgentEvents {
  paused: [Paused.Msg];
  resumed: [Resumed.Msg];
}

/** How long tasks wait for a fresh eval thread's inspector before they run without the debugger set. */
const THREAD_REACHED_MS = 10_000;

export class DebugAgent extends EventEmitter<DebugAgentEvents> {
  private readonly inspector = new EvalThreadInspector({
    attached: () => void this.configure(),
    paused: (event) => this.onPaused(event),
    resumed: () => this.ended('resumed'),
  });
  private readonly uncaught = new UncaughtCheck(this.inspector);
  private readonly requests: RequestContext = {
    inspector: this.inspector,
    ended: (how) => this.ended(how),
    replaceThread: () => this.replaceThread(),
  };
  private mode = false;
  private pause?: Suspension;
  /** What the current suspension stopped at, when it is a throw: for a debugger that attaches during it. */
  private thrown?: RemoteObject;
  /** This agent asked the thread to pause (an interrupt); other pauses belong to another debugger. */
  private pauseAsked = false;
  private nextPause = 1;
  /** Tasks held until the thread's debugger is set ({@link tasksHeld}). */
  private held?: Promise<void>;
  /** The followed thread's debugger being set: once per thread while the mode stays on. */
  private configuring?: { thread: number | undefined; done: Promise<void> };
  /** The wait of `setMode(true)` asked before the thread's inspector was reachable. */
  private threadReached?: { promise: Promise<void>; end: () => void };
  readonly sourceMaps = new SourceMaps();

  /** Which task the eval thread is running, as far as the host knows. */
  constructor(
    private readonly currentTask: () => { id: number; form?: FormDef } | undefined,
    /** Replaces the eval thread: the only way to abort a loop that throws nothing. */
    private readonly replaceThread: () => void,
  ) {
    super();
  }

  /** Follows a (new) eval thread; while debugging, its tasks are held until its debugger is set. */
  attach(thread: Worker): void {
    this.inspector.follow(thread.threadId);
    this.uncaught.clear();
    if (this.pause) this.ended('the eval thread was replaced');
    if (this.mode) this.holdTasksUntil(this.configure());
  }

  /**
   * While the thread's debugger is being set, tasks wait for this, in order: a throw in a task
   * that ran before would not suspend.
   */
  get tasksHeld(): Promise<void> | undefined {
    return this.held;
  }

  private holdTasksUntil(configured: Promise<void>): void {
    const held: Promise<void> = configured.then(() => {
      if (this.held === held) this.held = undefined;
    });
    this.held = held;
  }

  /** Suspend at errors in user code (true while an editor is attached). */
  setMode(on: boolean): void {
    if (on === this.mode) return;
    this.mode = on;
    if (!on) {
      this.configuring = undefined;
      this.endWaitForThread();
    }
    // The V8 debugger stays off unless an editor wants it: it costs the eval thread speed.
    if (on) return this.holdTasksUntil(this.configure());
    if (this.inspector.attached) void this.inspector.send('Debugger.disable').catch(() => {});
  }

  get debugging(): boolean {
    return this.mode;
  }

  /** Suspends whatever the eval thread runs now (an interrupt, with the debugger). */
  suspend(): void {
    if (!this.inspector.attached || this.pause) return;
    this.pauseAsked = true;
    void this.inspector.send('Debugger.pause').catch(() => (this.pauseAsked = false));
  }

  /**
   * The error the eval thread is suspended at, if it is: a debugger attached over CDP
   * during the suspension (cdp-relay.ts) is told it paused at this exception.
   */
  get pausedAt(): RemoteObject | undefined {
    return this.pause && this.thrown;
  }

  get paused(): boolean {
    return this.pause !== undefined;
  }

  /** Keeps a form's source map, for the most recent forms only. */
  learn(def: FormDef): void {
    this.sourceMaps.add(def, 2000);
  }

  /** Answers a request about suspension `pauseId`; a stale id is refused, never acted on. */
  request(pauseId: number, op: DebugOp): Promise<DebugAnswer> {
    const pause = this.pause;
    if (!pause || pause.pauseId !== pauseId)
      return Promise.reject(
        crewError(ErrorCodes.DebugStale, `suspension ${pauseId} has already ended; nothing was done`),
      );
    return answer(this.requests, pause, op);
  }

  /**
   * Lets the eval thread go before it is ended, and ends this agent: a thread paused in the
   * debugger does not end when terminated, and a process that exits waits for its threads.
   * Bounded by `timeoutMs`; then the agent's inspector connection is closed.
   */
  async release(timeoutMs = 1000): Promise<void> {
    this.mode = false;
    this.endWaitForThread();
    if (this.inspector.attached) {
      const steps = (async () => {
        if (this.pause) await this.inspector.send('Debugger.resume').catch(() => {});
        await this.inspector.send('Debugger.disable').catch(() => {});
      })();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([steps, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    this.inspector.close();
  }

  /** The master went away: a suspension must not wait forever, so it is aborted. */
  abandon(): void {
    const pause = this.pause;
    if (pause) void restart(this.requests, pause, { op: 'restart', restart: { kind: 'abort' } }).catch(() => {});
    void this.setMode(false);
  }

  private ended(how: string): void {
    const pause = this.pause;
    if (!pause) return;
    this.pause = undefined;
    this.thrown = undefined;
    this.emit('resumed', { t: 'debugResumed', pauseId: pause.pauseId, how });
  }

  /**
   * Sets the thread's debugger to stop at throws. A fresh thread's inspector is reachable a
   * moment after the thread starts (later still on a busy machine, each inspector event on a
   * turn of its own): asked before then, this settles once it is reached and set, so that a
   * throw of the first task suspends too. Bounded by {@link THREAD_REACHED_MS}.
   */
  private configure(): Promise<void> {
    if (!this.mode) return Promise.resolve();
    if (!this.inspector.attached) {
      if (!this.threadReached) {
        let end!: () => void;
        const promise = new Promise<void>((resolve) => (end = resolve));
        const timer = setTimeout(() => this.endWaitForThread(), THREAD_REACHED_MS);
        this.threadReached = { promise, end: () => (clearTimeout(timer), end()) };
      }
      return this.threadReached.promise;
    }
    // attach() and the inspector's `attached` event both ask for a thread already reached.
    const thread = this.inspector.followed;
    const known = this.configuring;
    if (known && known.thread === thread) return known.done;
    const waiting = this.threadReached;
    this.threadReached = undefined;
    const done = (async () => {
      try {
        await this.inspector.send('Debugger.enable');
        await this.inspector.send('Debugger.setPauseOnExceptions', { state: 'all' });
      } catch {
        /* the thread went away while attaching; the next one is configured afresh */
      }
      waiting?.end();
    })();
    this.configuring = { thread, done };
    return done;
  }

  private endWaitForThread(): void {
    const waiting = this.threadReached;
    this.threadReached = undefined;
    waiting?.end();
  }

  private onPaused(p: PausedEvent): void {
    const exception = p.reason === 'exception' || p.reason === 'promiseRejection';
    const resume = () => void this.inspector.send('Debugger.resume').catch(() => {});
    if (!exception) {
      // A breakpoint, a step or an instrumentation pause of VS Code's debugger, attached
      // through cdp-relay.ts: that debugger resumes it, and the Crew Debugger stays out.
      if (!this.pauseAsked) return;
      this.pauseAsked = false;
      if (p.callFrames.length === 0 || p.reason !== 'other') return resume();
      return this.suspendAt(p, false);
    }
    if (p.callFrames.length === 0 || !this.mode) return resume();
    // Every throw stops here while debugging; only those the user's code lets escape suspend.
    const thread = this.inspector.followed;
    void this.uncaught.escapesUserCode(p.callFrames).then(
      (escapes) => (escapes && this.mode ? this.suspendAt(p, true) : resume()),
      // A question failed: suspend, as without the check, unless the thread is gone.
      () =>
        this.mode && this.inspector.attached && this.inspector.followed === thread
          ? this.suspendAt(p, true)
          : undefined,
    );
  }

  private suspendAt(p: PausedEvent, exception: boolean): void {
    const task = this.currentTask();
    const condition: DebugCondition = exception
      ? describeThrown(p.data)
      : { reason: 'interrupt', name: 'Interrupt', message: 'the evaluation was interrupted' };
    if (task?.form) condition.form = `${task.form.filename}:${task.form.line} ${task.form.code.slice(0, 80)}`;
    const pauseId = this.nextPause++;
    this.pause = { pauseId, reason: condition.reason, frames: p.callFrames };
    this.thrown = exception ? p.data : undefined;
    this.emit('paused', {
      t: 'debugPaused',
      pauseId,
      taskId: task?.id,
      condition,
      frames: p.callFrames.map((f, index) => debugFrame(f, index, this.inspector.urlOf(f), this.sourceMaps)),
    });
  }
}
