/**
 * Swank Crew's replay: forms evaluated on every worker with `replayRequired` are kept, and
 * a worker that joins or reconnects runs them all, in order, before it takes other work.
 */
import type { Audit } from '../../protocol/audit';
import type { FormDef } from '../../protocol/messages/worker-link-messages';
import type { Task, TaskOutcome } from './task';
import type { WorkerLink } from './worker-link';

interface ReplayEntry {
  def: FormDef;
  args?: Uint8Array;
}

/** The forms a worker must run before it takes work, in the order they were evaluated. */
export class ReplayLog {
  private readonly entries: ReplayEntry[] = [];

  get length(): number {
    return this.entries.length;
  }

  add(def: FormDef, args?: Uint8Array): void {
    this.entries.push({ def, args });
  }

  /** Forgets a form, so that workers joining later do not run it (it was interrupted everywhere). */
  remove(def: FormDef): void {
    const i = this.entries.findIndex((e) => e.def === def);
    if (i >= 0) this.entries.splice(i, 1);
  }

  /**
   * Runs every form on `link`, one after another, while it is still replaying. A form that
   * fails is recorded in the audit trail and the rest still run.
   */
  async runOn(link: WorkerLink, nextTaskId: () => number, audit: Pick<Audit, 'log'>): Promise<void> {
    for (let i = 0; i < this.entries.length && link.state === 'replaying'; i++) {
      const { def, args } = this.entries[i];
      const outcome = await new Promise<TaskOutcome>((settle) => {
        const task: Task = { id: nextTaskId(), def, args, setup: true, target: link, kills: 0, settle };
        link.send([task]);
      });
      if (!outcome.ok)
        audit.log('replay', {
          worker: link.id,
          form: `${def.filename}:${def.line}`,
          error: outcome.error.message,
        });
    }
  }
}
