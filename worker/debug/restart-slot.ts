/**
 * Where the debug agent leaves the developer's restart for the evaluator. The agent
 * (suspension-requests.ts, for the master's `debugRequest`) writes it into the suspended
 * thread, on `process`, which both the user's context and Crew's own code can reach; the
 * evaluator (worker/image/evaluator.ts) takes it when the error arrives: it returns the
 * value, runs the task again, or fails it with `CREW_RETRY_ELSEWHERE` for the master's
 * scheduler to send to another worker.
 */
export const RESTART_SLOT = 'crew.restart';

export type TakenRestart =
  { kind: 'abort' | 'retry' | 'retryElsewhere' | 'continue' } | { kind: 'return'; value: unknown };

/** Removes and returns the pending restart, if any. */
export function takeRestart(): TakenRestart | undefined {
  const key = Symbol.for(RESTART_SLOT);
  const slot = (process as unknown as Record<symbol, TakenRestart | undefined>)[key];
  if (slot) delete (process as unknown as Record<symbol, unknown>)[key];
  return slot;
}
