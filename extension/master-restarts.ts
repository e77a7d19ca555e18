/**
 * What the extension does when the master it started dies: restart it, at most
 * {@link MAX_RESTARTS} times within 3 minutes, so a master that keeps crashing (a bad setting,
 * a machine out of memory) is given up on with a message instead of being restarted forever.
 * A master the editor attached to is not redialed behind the user's back, as with SLIME's
 * `slime-connect`.
 *
 * Restarts are Crew's own, on every path: the error handler's `closed` always answers
 * `DoNotRestart` to vscode-languageclient, whose own restart policy is never used, and a new
 * client takes the dead one's place. Every death goes through `closed`, once: that is where it
 * is counted, and where the user is told when the budget is spent. Nothing may skip it (see
 * `error`). A new client whose start fails without a close is counted in `startFailed`.
 */
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, State, type ErrorHandler, type LanguageClient } from 'vscode-languageclient/node';

/** How the client reaches its master: a child process it started, or a master it attached to. */
export type Mode = { kind: 'child' } | { kind: 'attach'; address: string };

const MAX_RESTARTS = 4;
const WINDOW_MS = 3 * 60_000;

/** What restarts need of the client. */
export interface RestartTarget {
  mode(): Mode;
  /** The client is stopped on purpose (or has given up). */
  stopped(): boolean;
  /** The last lines the master wrote to stderr. */
  stderrTail(): string[];
  log(line: string): void;
  /** Marks the client stopped, with no workers. */
  stop(): void;
  /** Starts a new language client in place of the current one, whose start failed or is failing. */
  startAfresh(): Promise<void>;
}

export class MasterRestarts {
  private times: number[] = [];

  constructor(private readonly target: RestartTarget) {}

  /** A master the user started afresh starts with the whole budget. */
  reset(): void {
    this.times = [];
  }

  /** The error handler of `client`, which `isCurrent` says is still the one in use. */
  errorHandler(client: () => LanguageClient, isCurrent: () => boolean): ErrorHandler {
    const t = this.target;
    let told = false;
    return {
      // A master that dies mid-traffic gives write or stream errors (the latter with no count) before its
      // connection closes. Shutdown would stop the client first, and a stopping client never calls `closed`:
      // the crash would be neither restarted nor reported, and the status bar would keep the dead master's workers.
      // Every error of a dead link is followed by its close, which `closed` handles. The first is logged.
      error: (error) => {
        if (!told && isCurrent() && !t.stopped()) t.log(`Crew: the link to the master failed: ${error.message}`);
        told = true;
        return { action: ErrorAction.Continue, handled: true };
      },
      closed: () => {
        if (t.stopped() || !isCurrent()) return { action: CloseAction.DoNotRestart, handled: true };
        const mode = t.mode();
        if (mode.kind === 'attach') {
          t.stop();
          return {
            action: CloseAction.DoNotRestart,
            message:
              `Crew: the master at ${mode.address} closed the connection. ` +
              'Run Crew: Connect to Master… to attach again, or Crew: Start Master.',
          };
        }
        const starting = client().state === State.Starting;
        const why = this.crashed(starting ? 'the master stopped while starting' : 'the master stopped');
        if (!this.spend(why)) return { action: CloseAction.DoNotRestart, message: this.giveUp(why) };
        // This client ends here and a new one takes its place. (Had vscode-languageclient restarted a client
        // whose first start was still failing, that start would mark the restarted client failed, counted again,
        // and leave the master it spawned running, unowned.)
        void t.startAfresh().catch(() => undefined);
        return { action: CloseAction.DoNotRestart, message: `${why}; Crew starts a new master`, handled: true };
      },
    };
  }

  /**
   * The current client's start failed without its connection closing (the master refused `initialize`, or could
   * not be spawned) while restarting: that counts as another crash, with a new client, since vscode-languageclient
   * never starts a client again once its start failed. True when handled here; a start the user asked for reports
   * its own failure.
   */
  startFailed(): boolean {
    if (this.target.mode().kind !== 'child' || this.times.length === 0) return false;
    const why = this.crashed('the master failed to start again');
    if (!this.spend(why)) void vscode.window.showErrorMessage(this.giveUp(why));
    // A failure is the next StartFailed, handled here again.
    else void this.target.startAfresh().catch(() => undefined);
    return true;
  }

  /** Counts a crash; true (and logged) while a restart is still allowed. */
  private spend(why: string): boolean {
    const now = Date.now();
    this.times = [...this.times.filter((t) => now - t < WINDOW_MS), now];
    if (this.times.length > MAX_RESTARTS) {
      this.target.log(`Crew: ${why}; not restarting (${MAX_RESTARTS} restarts in 3 minutes already).`);
      return false;
    }
    this.target.log(`Crew: ${why}; restarting (${this.times.length} of ${MAX_RESTARTS} in 3 minutes).`);
    return true;
  }

  private crashed(what: string): string {
    const tail = this.target.stderrTail();
    return `${what}${tail.length ? `: ${tail.join(' | ')}` : ''}`;
  }

  /** Stops restarting; the message says why. */
  private giveUp(why: string): string {
    this.target.stop();
    return (
      `Crew: ${why}. It was restarted ${MAX_RESTARTS} times in 3 minutes and is not restarted again. ` +
      'See the Crew output, then run Crew: Start Master.'
    );
  }
}
