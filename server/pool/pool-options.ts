/** What a pool can be told when it is made, and the events it emits. */
import type { AuditOptions } from '../../protocol/audit';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { CdpToMaster } from '../../protocol/messages/cdp-messages';
import type { ImageToMaster } from '../../protocol/messages/image-messages';
import type { WorkerLink, WorkerSummary } from './worker-link';

export interface PoolOptions {
  audit?: AuditOptions;
  /** Where worker output goes; by default each line is printed prefixed with the worker id. */
  onOutput?: (worker: string, stream: 'stdout' | 'stderr', text: string) => void;
  heartbeatTimeoutMs?: number;
  /**
   * A task on this many workers that died in a row is marked bad (default 3). A worker that
   * closed its link cleanly does not count.
   */
  maxTaskWorkerKills?: number;
  /** How long queued work waits for a worker when none is left (default 5 s). */
  noWorkerGraceMs?: number;
  maxQueuedTasks?: number;
  /** CL-MW's task grouping: send tasks to a worker N to a frame (default: sized from task cost). */
  taskGroup?: number;
  /** CL-MW's result grouping: a worker returns results N to a frame, or fewer when it runs out of work. */
  resultGroup?: number;
  /**
   * Sign frames of tasks (dist-emacs). By default only for workers started with
   * `--require-signed`; `true` signs for every worker, `false` for none (they then refuse).
   */
  sign?: boolean;
  /** Largest frame sent or accepted; a task that cannot fit fails with `CREW_LIMIT_EXCEEDED`. */
  maxFrameBytes?: number;
}

export interface PoolEvents {
  'workers-changed': [workers: WorkerSummary[]];
  output: [worker: string, stream: 'stdout' | 'stderr', text: string];
  /** Raw CDP from a worker's eval thread, for the debugger proxy (`cdp-proxy.ts`). */
  cdp: [link: WorkerLink, message: CdpToMaster];
  /** A worker's answer about its image, or calls it traced, for the editor (`server/lsp/image-asker.ts`). */
  image: [link: WorkerLink, message: ImageToMaster];
}

/** Where worker output goes by default: printed, each line prefixed with the worker id. */
export function defaultOutput(worker: string, _stream: 'stdout' | 'stderr', text: string): void {
  process.stdout.write(workerOutputText(worker, text));
}

/** A worker's output as the master prints it: each line prefixed with the worker id. */
export function workerOutputText(worker: string, text: string): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1) : text;
  return (
    lines
      .split('\n')
      .map((l) => `[${worker}] ${l}`)
      .join('\n') + '\n'
  );
}

/** Largest timeout a timer keeps: Node runs a longer one at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Fails with `CREW_BAD_ARGUMENT` naming `name` unless `value` is undefined or a whole number in
 * [min, 2^31 - 1]: a timer given more, or a worker given a string, would otherwise fail far
 * from the call, or never.
 */
export function checkWholeNumber(name: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_TIMER_MS) return;
  const got = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const most = typeof value === 'number' && value > MAX_TIMER_MS ? ` and at most ${MAX_TIMER_MS}` : '';
  throw crewError(ErrorCodes.BadArgument, `${name} must be a whole number >= ${min}${most}, got ${got}`);
}

/** Checks a pool's options when it is made, so that a wrong one fails there, by name. */
export function checkPoolOptions(options: PoolOptions): void {
  checkWholeNumber('taskGroup', options.taskGroup, 1);
  checkWholeNumber('resultGroup', options.resultGroup, 1);
  checkWholeNumber('noWorkerGraceMs', options.noWorkerGraceMs, 0);
  checkWholeNumber('heartbeatTimeoutMs', options.heartbeatTimeoutMs, 1);
  checkWholeNumber('maxTaskWorkerKills', options.maxTaskWorkerKills, 1);
}
