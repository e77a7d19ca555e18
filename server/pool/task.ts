/** A unit of work as the master tracks it, from the call that made it to its result. */
import type { RemoteErrorData } from '../../protocol/errors';
import type { AgentSpawnSpec } from '../../protocol/messages/agent-messages';
import type { FormDef } from '../../protocol/messages/worker-link-messages';

/**
 * The worker's link as a task sees it. WorkerLink is the one in use; it is declared here so
 * that a task does not depend on the link that carries it, which depends on tasks.
 */
export interface TaskLink {
  /** The worker's id in the pool, `w1`. */
  readonly id: string;
  readonly state: string;
  /** Tasks that must run on this worker, waiting for room. */
  readonly targeted: Task[];
}

export type TaskOutcome =
  | { ok: true; value: unknown; worker: TaskLink; ms: number }
  | { ok: false; error: Error; worker?: TaskLink; remote?: RemoteErrorData };

export interface Task {
  id: number;
  def: FormDef;
  /** Encoded arguments for a `call` form. */
  args?: Uint8Array;
  timeoutMs?: number;
  /** Replayed on a fresh eval thread after a crash. */
  setup?: boolean;
  /** A person waits for the result: a value that cannot be sent comes back printed (a `PrintedValue`). */
  printable?: boolean;
  /** Must run on this worker; fails if it goes away. */
  target?: TaskLink;
  /** Start the form's function as an agent (Erlangen); the result is its reference. */
  agent?: AgentSpawnSpec;
  /** Prefer these workers while any of them is alive. */
  allowed?: ReadonlySet<TaskLink>;
  /** How many workers died or were lost while holding this task; clean closes do not count. */
  kills: number;
  /** Called exactly once. */
  settle(outcome: TaskOutcome): void;
}

/** Bytes a task adds to a frame: its arguments and, at worst, its form. */
export function taskBytes(t: Pick<Task, 'def' | 'args'>): number {
  return (
    (t.args?.byteLength ?? 0) +
    t.def.code.length +
    (t.def.sourceMap?.length ?? 0) +
    (t.def.initArgs?.byteLength ?? 0) +
    256
  );
}
