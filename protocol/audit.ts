/**
 * The audit trail, after CL-MW's "[A]" lines: one line per event, with a timestamp, the
 * event name and key=value fields, so it can be read by a person and grepped by a script.
 */
import { appendFileSync } from 'node:fs';

export type AuditEvent =
  | 'listen'
  | 'slurm'
  | 'connect'
  | 'disconnect'
  | 'leaving'
  | 'refused'
  | 'state'
  | 'replay'
  | 'sent'
  | 'received'
  | 'call'
  | 'bad-frame'
  | 'eval-thread'
  | 'requeue'
  | 'task-bad'
  | 'shutdown'
  | 'error'
  | 'local'
  | 'session';

/** Events about single frames of tasks; written only when `tasks` is on. */
const TASK_EVENTS = new Set<AuditEvent>(['sent', 'received']);

export interface AuditOptions {
  /** `stderr` (default), `none`, a file path, or a function that receives each line. */
  to?: 'stderr' | 'none' | string | ((line: string) => void);
  /** Also record each batch of tasks sent and results received. Defaults to true for files. */
  tasks?: boolean;
}

export class Audit {
  private readonly write: (line: string) => void;
  private readonly tasks: boolean;

  constructor(
    readonly who: string,
    opts: AuditOptions = {},
  ) {
    const to = opts.to ?? 'stderr';
    if (typeof to === 'function') this.write = to;
    else if (to === 'none') this.write = () => {};
    else if (to === 'stderr') this.write = (line) => process.stderr.write(line + '\n');
    else this.write = (line) => appendFileSync(to, line + '\n');
    this.tasks = opts.tasks ?? (typeof to === 'string' && to !== 'stderr' && to !== 'none');
  }

  wantsTasks(): boolean {
    return this.tasks;
  }

  log(event: AuditEvent, fields: Record<string, unknown> = {}): void {
    if (TASK_EVENTS.has(event) && !this.tasks) return;
    const parts = [`[A] ${new Date().toISOString()} ${this.who} ${event}`];
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const text = typeof v === 'string' ? v : printField(v);
      parts.push(`${k}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`);
    }
    this.write(parts.join(' '));
  }
}

/** JSON for a field, but never a throw: a peer's malformed frame (a BigInt, a cycle) gets logged too. */
function printField(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
