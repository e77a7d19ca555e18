/** What a pool can be told when it is made, and the events it emits. */
import type { AuditOptions } from '../../protocol/audit';
import type { CdpToMaster } from '../../protocol/messages/cdp-messages';
import type { ImageAnswer } from '../../protocol/messages/image-messages';
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
  /** A worker's answer about its image, for the editor's completion and hover (`server/lsp/image-asker.ts`). */
  image: [link: WorkerLink, answer: ImageAnswer.Msg];
}

/** Where worker output goes by default: printed, each line prefixed with the worker id. */
export function defaultOutput(worker: string, _stream: 'stdout' | 'stderr', text: string): void {
  const lines = text.endsWith('\n') ? text.slice(0, -1) : text;
  process.stdout.write(
    lines
      .split('\n')
      .map((l) => `[${worker}] ${l}`)
      .join('\n') + '\n',
  );
}
