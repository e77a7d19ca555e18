/**
 * When a master's interrupt restarts its session's eval thread. A restart costs the worker's
 * main thread several milliseconds (a new thread starts, the setup forms are replayed), and
 * that thread also serves every other session's link and heartbeats: a master that sent
 * interrupts without end, each one restarting a thread, starved the other masters until their
 * links dropped. So interrupts coalesce, per session:
 * - one that arrives while the thread runs nothing does nothing;
 * - one that arrives while a restart is under way (the fresh thread has not said it is ready)
 *   or within `windowMs` of the last restart is held, and once that time is over the thread is
 *   restarted once, if what the latest held interrupt was meant to stop still runs;
 * - any other restarts the thread at once.
 * However many interrupts arrive, a session's thread restarts at most once per window.
 */

import { ErrorCodes } from '../../protocol/errors';
import { REPLAYED, type LinkNumber } from '../../protocol/messages/eval-thread-messages';
import type { ResultMsg } from '../../protocol/messages/worker-link-messages';

/** What an interrupt would stop: the oldest task in the thread, or `true` for work that is not a task. */
export type InterruptTarget = number | true;

/** What the gate needs of the eval host. */
export interface Interruptible {
  /** What an interrupt now would stop; undefined when the thread runs nothing. */
  target(): InterruptTarget | undefined;
  /** Whether `target` is still in the thread. */
  stillRuns(target: InterruptTarget): boolean;
  /** Replaces the thread; the host then calls {@link InterruptGate.restarted}. */
  restart(): void;
}

export class InterruptGate {
  private lastRestart = -Infinity;
  /** A fresh thread has been started and has not said it is ready. */
  private starting = false;
  /** What the latest held interrupt was meant to stop. */
  private held?: InterruptTarget;
  private timer?: NodeJS.Timeout;
  /** When the debugger was last asked to suspend the thread. */
  private suspendedAt = -Infinity;

  constructor(
    private readonly windowMs: number,
    private readonly host: Interruptible,
  ) {}

  /** An interrupt from the master. */
  request(): void {
    const target = this.host.target();
    if (target === undefined) return;
    if (this.starting || this.sinceRestart() < this.windowMs) {
      // The latest interrupt's target is the oldest task in the thread now: if an earlier
      // interrupt's target still runs, this is that same task.
      this.held = target;
      this.arm();
      return;
    }
    this.host.restart();
  }

  /**
   * Whether an interrupt while debugging may ask the debugger to suspend the thread: not while
   * it runs nothing (the pause would catch the next task instead), and once per window (the
   * pause asked for is on its way).
   */
  maySuspend(): boolean {
    const now = performance.now();
    if (this.host.target() === undefined || now - this.suspendedAt < this.windowMs) return false;
    this.suspendedAt = now;
    return true;
  }

  /** The thread was replaced (by an interrupt or because it died); a fresh one starts. */
  restarted(): void {
    this.lastRestart = performance.now();
    this.starting = true;
  }

  /** The fresh thread is ready for work. */
  ready(): void {
    this.starting = false;
    this.settle();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held = undefined;
  }

  private sinceRestart(): number {
    return performance.now() - this.lastRestart;
  }

  /** Settles a held interrupt when the window ends; while the thread starts, `ready` does. */
  private arm(): void {
    if (this.timer || this.starting) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.settle();
      },
      Math.max(0, this.windowMs - this.sinceRestart()),
    );
    this.timer.unref();
  }

  private settle(): void {
    const held = this.held;
    if (held === undefined || this.starting) return;
    if (this.sinceRestart() < this.windowMs) return this.arm();
    this.held = undefined;
    if (this.host.stillRuns(held)) this.host.restart();
  }
}

/** The results that fail the tasks in a thread that was interrupted or died, by the link that sent them. */
export function failedResults(
  inflight: ReadonlyMap<number, LinkNumber>,
  code: typeof ErrorCodes.Interrupted | typeof ErrorCodes.EvalThreadDied,
  reason: string,
): Map<LinkNumber, ResultMsg[]> {
  const message = code === ErrorCodes.Interrupted ? 'the task was interrupted' : `the eval thread died: ${reason}`;
  const byLink = new Map<LinkNumber, ResultMsg[]>();
  for (const [id, linkNumber] of inflight) {
    if (linkNumber === REPLAYED) continue;
    const list = byLink.get(linkNumber) ?? [];
    list.push({ id, ok: false, error: { name: 'CrewError', code, message, frames: [] }, ms: 0 });
    byLink.set(linkNumber, list);
  }
  return byLink;
}
