/**
 * Whether the code running now is an interactive evaluation: one a person typed at the REPL,
 * in the editor or in a notebook cell, and waits to see. Tasks it makes are `printable`: a
 * worker prints a value it cannot send (a function) instead of failing the task, as SLIME
 * prints `#<FUNCTION …>`. Library code keeps `CREW_NOT_SERIALIZABLE`: its caller wants the
 * value itself.
 *
 * An AsyncLocalStorage follows an evaluation through its awaits (and into a `vm` context), so
 * only the tasks that evaluation makes are marked, not those of a script running beside it.
 * It is process-wide, as the call stack it extends is: it holds no state of its own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<true>();

/** Runs `fn` (and everything it starts) as an interactive evaluation. */
export function interactively<T>(fn: () => T): T {
  return scope.run(true, fn);
}

/** Whether the caller runs inside {@link interactively}. */
export function isInteractive(): boolean {
  return scope.getStore() === true;
}
