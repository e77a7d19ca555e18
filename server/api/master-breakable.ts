/**
 * Ctrl-C for code running on the master itself. A worker's loop is stopped from its free main
 * thread; code on the master runs on the very thread that would handle the signal, so it is
 * run under `vm`'s `breakOnSigint`: Node's SIGINT watchdog, the one its own REPL uses, stops
 * a synchronous run from another thread.
 */
import vm from 'node:vm';
import { crewError, ErrorCodes } from '../../protocol/errors';

/** What `vm` throws when SIGINT stops a run. */
const VM_INTERRUPTED = 'ERR_SCRIPT_EXECUTION_INTERRUPTED';

/** A tiny context whose one script calls the thunk it is given, so that any call can be watched. */
const trampoline = vm.createContext({ thunk: undefined as (() => unknown) | undefined });
const callThunk = new vm.Script('thunk()', { filename: 'crew:master-run' });

/** Whether the error is `vm`'s word that SIGINT stopped the run. */
export function isVmInterrupt(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === VM_INTERRUPTED;
}

/**
 * Runs `fn` so that Ctrl-C stops it, when a person at a terminal could press Ctrl-C (the
 * watchdog costs a thread start per run, too much for every task of a scripted null pool).
 * At a REPL the terminal is in raw mode, where Ctrl-C is a key, not a signal: it is put back
 * for the run, as Node's REPL does for its own evaluations. Stopped, the run throws
 * `CREW_INTERRUPTED`; outside a REPL the signal then reaches the process as it would have
 * (its SIGINT listeners, or Node's default: exit), since only this code was meant to be spared.
 */
export function runBreakable<T>(fn: () => T): T {
  return (process.stdin as NodeJS.ReadStream).isTTY ? runWatched(fn) : fn();
}

/** {@link runBreakable}, whether or not a terminal is there: for one long run, such as a script's body. */
export function runWatched<T>(fn: () => T): T {
  const stdin = process.stdin as NodeJS.ReadStream;
  const raw = stdin.isTTY && stdin.isRaw;
  if (raw) stdin.setRawMode(false);
  trampoline.thunk = fn;
  try {
    return callThunk.runInContext(trampoline, { breakOnSigint: true }) as T;
  } catch (err) {
    if (!isVmInterrupt(err)) throw err;
    // At once: code that catches the error may hold the thread again before any callback.
    if (!raw) redeliverSigint();
    throw crewError(ErrorCodes.Interrupted, 'interrupted on master');
  } finally {
    trampoline.thunk = undefined;
    if (raw) stdin.setRawMode(true);
  }
}

/** The SIGINT the watchdog took, given to the process as if it had come to it. */
export function redeliverSigint(): void {
  if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
  else process.kill(process.pid, 'SIGINT');
}
