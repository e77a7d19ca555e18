/**
 * What the CDP relay (cdp-relay.ts) keeps of each debugger it serves, and of the pauses it has
 * not told a debugger of yet.
 */
import type { InspectorConnection } from './inspector-events';
import type { StartHold } from './start-hold';

/** One debugger the relay serves, known by its `debuggerId`, as the cdp messages name it. */
export interface RelayedDebugger {
  connection: InspectorConnection;
  /** The CDP session on the eval thread, once it is reachable. */
  threadSessionId?: string;
  queue: string[];
  /** The thread is paused, as this debugger last heard. */
  paused: boolean;
  /** The debugger asked to stop at thrown exceptions (any state but `none`). */
  stopsAtThrows: boolean;
  /** The debugger said it is set up; it may say so before the pause at attach comes from the thread. */
  setUp: boolean;
  /** The debugger asked targets to wait for it on start, and has not said it is set up yet. */
  waitsForSetUp: boolean;
  /** A pause the thread is at that this debugger has not been told of yet. */
  pending?: PendingPause;
  /** The relay holds the thread before each script for this debugger until it is set up. */
  startHold?: StartHold;
}

/**
 * A `Debugger.paused` kept from a debugger, and what it waits for:
 * - `setUp`: a pause before a script, held for a debugger still setting up (start-hold.ts);
 *   told once it says it is set up (or after the relay's time limit (`HOLD_PAUSE_MS`)), resumed if it leaves first;
 * - `crewDecides`: a throw the Crew Debugger has yet to decide on; told when it becomes a
 *   suspension, or never, when the Crew Debugger resumes it (something catches it);
 * - `throwFilters`: the Crew Debugger's suspension, found by a debugger that attached during
 *   it; told as an exception once the debugger asks to stop at throws. A debugger that says it
 *   is set up without asking (`Runtime.runIfWaitingForDebugger`, which js-debug sends only
 *   after its exception filters and breakpoints), or says neither within
 *   the relay's time limit (`HOLD_PAUSE_MS`), is told of it as V8 gave it (`other`, with the error as its data):
 *   an exception pause it did not ask for would be resumed.
 * If the thread goes on first, neither the pause nor its `Debugger.resumed` is told.
 */
export interface PendingPause {
  message: string;
  /** For `throwFilters`: the pause as V8 gave it, told to a debugger that did not ask for throws. */
  asGiven?: string;
  waitsFor: 'crewDecides' | 'throwFilters' | 'setUp';
  timer?: NodeJS.Timeout;
}
