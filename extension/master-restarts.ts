/**
 * What the extension does when the master it started dies: restart it, at most
 * {@link MAX_RESTARTS} times within 3 minutes, so a master that keeps crashing (a bad setting,
 * a machine out of memory) is given up on with a message instead of being restarted forever.
 * A master the editor attached to is not redialed behind the user's back, as with SLIME's
 * `slime-connect`.
 */
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, type ErrorHandler } from 'vscode-languageclient/node';

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
  /** Starts a new language client in place of one whose start failed. */
  startAfresh(): Promise<void>;
}

export class MasterRestarts {
  private times: number[] = [];

  constructor(private readonly target: RestartTarget) {}

  /** A master the user started afresh starts with the whole budget. */
  reset(): void {
    this.times = [];
  }

  /** The language client's error handler. `isCurrent` is false once its client was replaced. */
  errorHandler(isCurrent: () => boolean): ErrorHandler {
    const t = this.target;
    return {
      // A master that dies mid-traffic gives write errors first; Shutdown would skip the restart below.
      error: (_error, _message, count) =>
        !isCurrent() || t.mode().kind === 'child'
          ? { action: ErrorAction.Continue, handled: true }
          : { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown },
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
        const why = this.crashed('the master stopped');
        if (this.spend(why)) return { action: CloseAction.Restart, handled: true };
        return { action: CloseAction.DoNotRestart, message: this.giveUp(why) };
      },
    };
  }

  /**
   * The client's start failed. A restarted master that dies before it has answered `initialize` fails the language
   * client's own restart, which then says nothing and never restarts again: that counts as another crash, with a new
   * client. True when handled here; a start the user asked for reports its own failure.
   */
  startFailed(): boolean {
    if (this.target.mode().kind !== 'child' || this.times.length === 0) return false;
    const why = this.crashed('the master stopped while starting again');
    if (!this.spend(why)) void vscode.window.showErrorMessage(this.giveUp(why));
    // A failure is the next StartFailed, handled here again.
    else void this.target.startAfresh().catch(() => undefined);
    return true;
  }

  /** Counts a crash; true (and logged) while a restart is still allowed. */
  private spend(why: string): boolean {
    const now = Date.now();
    this.times = [...this.times.filter((t) => now - t < WINDOW_MS), now];
    if (this.times.length > MAX_RESTARTS) return false;
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
