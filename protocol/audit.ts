/**
 * The audit trail, after CL-MW's "[A]" lines: one line per event, with a timestamp, the
 * event name and key=value fields, so it can be read by a person and grepped by a script.
 */
import { openAuditFile } from './audit-file';
import { AuditLimiter, type Suppressed } from './audit-limit';
import { boundedJson } from './json-view';
import { boundedInspect, clampText, type ViewLimits } from './value-view';

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
  | 'warning'
  | 'local'
  | 'session'
  | 'modules'
  | 'audit';

/** Events about single frames of tasks; written only when `tasks` is on. */
const TASK_EVENTS = new Set<AuditEvent>(['sent', 'received']);

/**
 * Lines anyone who reaches a port can cause, limited per kind (see audit-limit.ts): every
 * refusal, and a bad frame from a `peer`, which is how a connection that never authenticated
 * is named (after the handshake lines name the `worker` or `master`, and are all kept).
 */
function limitedKey(event: AuditEvent, fields: Record<string, unknown>): string | undefined {
  if (event !== 'refused' && event !== 'bad-frame') return undefined;
  const key = Object.keys(fields).find((k) => fields[k] !== undefined);
  if (event === 'bad-frame' && key !== 'peer') return undefined;
  return key ?? '';
}

export interface AuditOptions {
  /** `stderr` (default), `none`, a file path, or a function that receives each line. */
  to?: 'stderr' | 'none' | string | ((line: string) => void);
  /** Also record each batch of tasks sent and results received. Defaults to true for files. */
  tasks?: boolean;
}

/**
 * Where a process writes its audit trail. A file is private to the user (audit-file.ts), and
 * lines about refused and unauthenticated connections are limited, with a summary line
 * `<event> summary="suppressed K similar lines in the last S s" like=<key> from=<hosts>`.
 * @throws CREW_BAD_ARGUMENT when the audit file cannot be opened or belongs to another user.
 */
export class Audit {
  private readonly write: (line: string) => void;
  private readonly tasks: boolean;
  private readonly limiter?: AuditLimiter;

  constructor(
    readonly who: string,
    opts: AuditOptions = {},
  ) {
    const to = opts.to ?? 'stderr';
    let tightened: string | undefined;
    if (typeof to === 'function') this.write = to;
    else if (to === 'none') this.write = () => {};
    else if (to === 'stderr') this.write = (line) => process.stderr.write(line + '\n');
    else ({ write: this.write, tightened } = openAuditFile(to));
    this.tasks = opts.tasks ?? (typeof to === 'string' && to !== 'stderr' && to !== 'none');
    if (to !== 'none') this.limiter = new AuditLimiter((event, s) => this.writeLine(event, summaryFields(s)));
    if (tightened) this.log('audit', { file: to, tightened });
  }

  wantsTasks(): boolean {
    return this.tasks;
  }

  /** Writes the summaries of floods still under way; for a process about to end. */
  flush(): void {
    this.limiter?.flush();
  }

  log(event: AuditEvent, fields: Record<string, unknown> = {}): void {
    if (TASK_EVENTS.has(event) && !this.tasks) return;
    const key = limitedKey(event, fields);
    if (key !== undefined && this.limiter && !this.limiter.admit(event, key, fields[key])) return;
    this.writeLine(event, fields);
  }

  private writeLine(event: string, fields: Record<string, unknown>): void {
    const parts = [`[A] ${new Date().toISOString()} ${this.who} ${event}`];
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const text = clampText(typeof v === 'string' ? v : printField(v), FIELD_LIMITS.chars);
      parts.push(`${k}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`);
    }
    this.write(parts.join(' '));
  }
}

/** The fields of a summary line, `from` listing where the held-back lines came from. */
function summaryFields(s: Suppressed): Record<string, unknown> {
  const more = s.moreSources > 0 ? [`+${s.atLeast ? 'at least ' : ''}${s.moreSources} more`] : [];
  return {
    summary: `suppressed ${s.count} similar lines in the last ${s.seconds} s`,
    like: s.key,
    from: s.sources.length > 0 ? [...s.sources, ...more].join(',') : undefined,
  };
}

/** One field's text at most: a peer's message or value is bounded like any print (value-view.ts). */
const FIELD_LIMITS: ViewLimits = { depth: 4, items: 50, stringChars: 1_000, nodes: 500, chars: 8_192 };

/** JSON for a field, or its print; never a throw: a peer's malformed frame (a BigInt, a cycle) gets logged too. */
function printField(v: unknown): string {
  if (typeof v !== 'object' || v === null) return String(v);
  const { nodes, chars } = FIELD_LIMITS;
  return (
    boundedJson(v, { nodes, chars, depth: 20 }) ??
    boundedInspect(v, FIELD_LIMITS, { breakLength: Infinity, compact: true })
  );
}
