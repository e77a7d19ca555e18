/** A unit of work as the master tracks it, from the call that made it to its result. */
import type { RemoteErrorData } from '../../protocol/errors';
import type { AgentSpawnSpec } from '../../protocol/messages/agent-messages';
import type { FormDef } from '../../protocol/messages/worker-link-messages';
import type { WorkerLink } from './worker-link';

export type TaskOutcome =
  | { ok: true; value: unknown; worker: WorkerLink; ms: number }
  | { ok: false; error: Error; worker?: WorkerLink; remote?: RemoteErrorData };

export interface Task {
  id: number;
  def: FormDef;
  /** Encoded arguments for a `call` form. */
  args?: Uint8Array;
  timeoutMs?: number;
  /** Replayed on a fresh eval thread after a crash. */
  setup?: boolean;
  /** Must run on this worker; fails if it goes away. */
  target?: WorkerLink;
  /** Start the form's function as an agent (Erlangen); the result is its reference. */
  agent?: AgentSpawnSpec;
  /** Prefer these workers while any of them is alive. */
  allowed?: ReadonlySet<WorkerLink>;
  /** How many workers died or were lost while holding this task; clean closes do not count. */
  kills: number;
  /** Called exactly once. */
  settle(outcome: TaskOutcome): void;
}
