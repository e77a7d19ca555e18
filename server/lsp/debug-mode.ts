/**
 * Whether the master's workers suspend at errors for the Crew Debugger, owned in one place,
 * as js-debug's ExceptionPauseService owns its pause state: it is on while an editor debugs,
 * and for a grace period after the last one leaves, so open suspensions wait for it to come
 * back. A change reaches the pool once; a new pool gets the mode once, when it starts, and
 * the pool gives it to each worker once, when the worker joins (`WorkerPool.adopt`).
 */
import type { Connection } from 'vscode-languageserver';
import type { Suspension } from '../debug/debug-broker';
import type { WorkerPool } from '../pool/pool';

/** What the editors that debug hear of the pool's suspensions. */
export type SuspensionEvent = { kind: 'paused'; suspension: Suspension } | { kind: 'resumed'; id: string; how: string };

/** How long open suspensions wait for a debugging editor to come back, unless an editor says otherwise. */
const DEFAULT_GRACE_MS = 30_000;

export class DebugModeService {
  private readonly editors = new Set<Connection>();
  private readonly listeners = new Set<(event: SuspensionEvent) => void>();
  private graceMs = DEFAULT_GRACE_MS;
  /** Set while the last debugging editor has gone and open suspensions wait for one to return. */
  private graceTimer?: NodeJS.Timeout;
  private pool?: WorkerPool;
  /** The mode `pool` was last given; a pool starts with it off. */
  private applied = false;

  /** Follows a new pool of the master: its suspensions go to the editors, and it gets the mode. */
  follow(pool: WorkerPool): void {
    this.pool = pool;
    this.applied = false;
    pool.debug.on('paused', (suspension: Suspension) => {
      if (this.pool === pool) this.tell({ kind: 'paused', suspension });
    });
    pool.debug.on('resumed', (id, how) => {
      if (this.pool === pool) this.tell({ kind: 'resumed', id, how });
    });
    this.apply();
  }

  /** Whether `editor` debugs now. */
  debugs(editor: Connection): boolean {
    return this.editors.has(editor);
  }

  /**
   * `editor` starts or stops debugging. `graceMs`, when given, becomes how long open
   * suspensions wait for a debugging editor after the last one has gone.
   */
  set(editor: Connection, on: boolean, graceMs?: number): void {
    if (graceMs !== undefined) this.graceMs = graceMs;
    if (on) {
      this.editors.add(editor);
      this.endGrace();
    } else this.editors.delete(editor);
    this.apply();
  }

  /**
   * `editor` has gone. If it was the last that debugged, the mode stays on for the grace
   * period; then it goes off and every open suspension is aborted, so nothing waits forever.
   */
  leave(editor: Connection): void {
    if (!this.editors.delete(editor) || this.editors.size > 0) return;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      this.apply();
      const pool = this.pool;
      if (!pool || pool.closed || this.editors.size > 0) return;
      for (const s of pool.debug.list())
        void pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } }).catch(() => undefined);
    }, this.graceMs);
    this.graceTimer.unref();
  }

  /** Hears the pool's suspensions; returns what stops hearing them. */
  onSuspension(listener: (event: SuspensionEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  dispose(): void {
    this.endGrace();
    this.listeners.clear();
  }

  /** The mode now: on while an editor debugs or waits out its grace period. */
  private get wanted(): boolean {
    return this.editors.size > 0 || this.graceTimer !== undefined;
  }

  /** Gives the pool the mode if it has another one: once per change. */
  private apply(): void {
    const pool = this.pool;
    const on = this.wanted;
    if (!pool || pool.closed || on === this.applied) return;
    this.applied = on;
    pool.setDebugOnError(on);
  }

  private endGrace(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  private tell(event: SuspensionEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
