/**
 * The CDP relay's own pause before each script with a source map (a form, or a shipped module
 * a form imports), for a debugger that asked targets to wait for it on start
 * (relay-commands.ts `asksTargetsToWait`), while that debugger sets itself up.
 *
 * VS Code's debugger (js-debug) attaches, switches its Debugger domain on, and only later, a
 * round trip through the window afterwards (several seconds on a busy machine), sets the
 * pause before each script with a source map (`pauseForSourceMap`) and the breakpoints of the
 * scripts it has found, then says it is set up (`Runtime.runIfWaitingForDebugger`). A form
 * evaluated in between ran unheld, with the modules it imports: their breakpoints were bound
 * after the calls they were for had returned. So from the debugger's `Debugger.enable` the
 * relay sets that pause itself, on the debugger's own CDP session, and keeps the pauses it
 * brings from the debugger until it is set up (cdp-relay.ts tells them then): the debugger
 * then binds the script's breakpoints and lets it run, as for a pause it asked for.
 *
 * V8 keeps one instrumentation breakpoint of a kind per session: when the debugger sets its
 * own, the relay's is removed first, and the debugger's command waits for that.
 */

/** V8's answer to a command of the relay's own. */
export interface OwnReply {
  result?: { breakpointId?: string };
}

/** How the hold speaks to the debugger's CDP session on the thread. */
export interface HoldSession {
  /** A command of the relay's own; `replied` is given V8's answer. */
  own(method: string, params: object, replied?: (reply: OwnReply) => void): void;
  /** A message of the debugger's, passed on as it is. */
  pass(message: string): void;
}

/** V8's name for the pause before each script with a source map: js-debug binds a file's breakpoints there. */
export const BEFORE_MAPPED_SCRIPT = 'beforeScriptWithSourceMapExecution';

export class StartHold {
  private answered = false;
  private breakpointId?: string;
  /** The relay's breakpoint is to go (the debugger sets its own, or is set up). */
  private dropping = false;
  private removed = false;
  /** The debugger's own instrumentation commands, passed on once the relay's breakpoint is removed. */
  private deferred: string[] = [];
  private readonly timer: NodeJS.Timeout;

  /** Sets the relay's pause; `expired` is called if the debugger has not said it is set up within `limitMs`. */
  constructor(
    private readonly session: HoldSession,
    limitMs: number,
    expired: () => void,
  ) {
    session.own('Debugger.setInstrumentationBreakpoint', { instrumentation: BEFORE_MAPPED_SCRIPT }, (reply) => {
      this.answered = true;
      this.breakpointId = reply.result?.breakpointId;
      if (this.dropping) this.remove();
    });
    this.timer = setTimeout(expired, limitMs);
  }

  /** The relay's breakpoint is not removed yet: a debugger's own of that kind must wait for it to go. */
  get holding(): boolean {
    return !this.removed;
  }

  /** The debugger sets its own instrumentation breakpoint: `message` goes once the relay's is removed. */
  yieldTo(message: string): void {
    this.deferred.push(message);
    this.drop();
  }

  /** The debugger is set up, or took too long: the relay's breakpoint goes. */
  end(): void {
    clearTimeout(this.timer);
    this.drop();
  }

  /** The debugger left: its CDP session goes, and the breakpoint with it. */
  cancel(): void {
    clearTimeout(this.timer);
    this.dropping = true;
    this.removed = true;
    this.deferred = [];
  }

  private drop(): void {
    this.dropping = true;
    if (this.answered) this.remove();
  }

  private remove(): void {
    if (!this.removed && this.breakpointId)
      this.session.own('Debugger.removeBreakpoint', { breakpointId: this.breakpointId });
    this.removed = true;
    for (const m of this.deferred.splice(0)) this.session.pass(m);
  }
}
