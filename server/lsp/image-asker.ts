/**
 * Asks the workers about their images for the editor, as Jupyter asks kernels for
 * completion: a worker that runs something is not asked, at most one question per kind is
 * on its way to a worker, and the editor gets what came back within the wait. An answer is
 * kept until the worker finishes another task, so the next keystroke costs nothing; one
 * that arrives after the wait is kept too, for the next keystroke.
 */
import type { ImageAnswer, ImageQuery, ImageReply, ImageToMaster } from '../../protocol/messages/image-messages';
import type { ImageMissing } from '../../protocol/messages/lsp-image-messages';
import type { WorkerPool } from '../pool/pool';
import type { WorkerLink } from '../pool/worker-link';

/** One worker's part of an answer: its reply (possibly from before its current task), or why there is none. */
export interface WorkerReply {
  worker: string;
  reply?: ImageReply;
  missing?: ImageMissing;
  /** Crew's code for the worker's error, when it gave one. */
  code?: string;
}

/** A question on its way is forgotten after this long, so a worker that never answers is asked again. */
const FORGET_MS = 5000;
/** Questions on their way to one worker at most: a worker slow to answer is not sent more. */
const MAX_PENDING_PER_WORKER = 4;

interface Kept {
  /** The worker's `tasksDone` when the question was sent: the image the reply describes. */
  done: number;
  reply: ImageReply;
}

interface Pending {
  link: WorkerLink;
  key: string;
  done: number;
  settled: Promise<WorkerReply>;
  settle(r: WorkerReply): void;
  timer: NodeJS.Timeout;
}

export class ImageAsker {
  private nextReq = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly kept = new WeakMap<WorkerLink, Map<string, Kept>>();
  private pool?: WorkerPool;
  private readonly onAnswer = (link: WorkerLink, m: ImageToMaster) =>
    m.t === 'imageAnswer' ? this.answered(link, m) : undefined;

  /** Asks every ready worker of `pool`; resolves within `waitMs` with one part per worker, in worker order. */
  async ask(pool: WorkerPool | undefined, query: ImageQuery, waitMs: number): Promise<WorkerReply[]> {
    this.follow(pool);
    if (!pool) return [];
    const key = JSON.stringify(query);
    const parts = [...pool.readyLinks()].map((link) => this.askOne(link, query, key));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    const now = parts.map((p) => ({ worker: p.worker, result: undefined as WorkerReply | undefined }));
    await Promise.race([Promise.all(parts.map((p, i) => p.reply.then((r) => (now[i].result = r)))), deadline]);
    clearTimeout(timer);
    return now.map(
      ({ worker, result }, i) => result ?? { worker, reply: parts[i].stale, missing: { worker, why: 'slow' } },
    );
  }

  /**
   * Asks one worker, unless it runs something, and waits up to `waitMs`; nothing is kept. For
   * the inspector, whose questions are about values held on that worker, not about names.
   */
  async askWorker(pool: WorkerPool, link: WorkerLink, query: ImageQuery, waitMs: number): Promise<WorkerReply> {
    this.follow(pool);
    const worker = link.id;
    // What changes the image between tasks (tracing, letting values go) is asked of a busy worker too.
    const betweenTasks = query.op === 'inspectRelease' || query.op === 'trace' || query.op === 'untrace';
    if (link.inflight.size > 0 && !betweenTasks) return { worker, missing: { worker, why: 'busy' } };
    const reqId = this.nextReq++;
    let settle!: (r: WorkerReply) => void;
    const settled = new Promise<WorkerReply>((resolve) => (settle = resolve));
    const timer = setTimeout(() => this.finish(reqId, { worker, missing: { worker, why: 'slow' } }), waitMs);
    this.pending.set(reqId, { link, key: '', done: -1, settled, settle, timer });
    if (!link.transport.send({ t: 'imageAsk', reqId, query }))
      this.finish(reqId, { worker, missing: { worker, why: 'error', message: 'the link is closed' } });
    return settled;
  }

  private askOne(
    link: WorkerLink,
    query: ImageQuery,
    key: string,
  ): { worker: string; reply: Promise<WorkerReply>; stale?: ImageReply } {
    const worker = link.id;
    const kept = this.kept.get(link)?.get(key);
    // A busy worker is not asked: what it said before its current task is the best there is,
    // and the task may define more.
    if (link.inflight.size > 0)
      return { worker, reply: Promise.resolve({ worker, reply: kept?.reply, missing: { worker, why: 'busy' } }) };
    if (kept && kept.done === link.tasksDone) return { worker, reply: Promise.resolve({ worker, reply: kept.reply }) };
    let onItsWay = 0;
    for (const p of this.pending.values()) {
      if (p.link !== link) continue;
      if (p.key === key && p.done === link.tasksDone) return { worker, reply: p.settled, stale: kept?.reply };
      onItsWay++;
    }
    if (onItsWay >= MAX_PENDING_PER_WORKER)
      return { worker, reply: Promise.resolve({ worker, reply: kept?.reply, missing: { worker, why: 'slow' } }) };
    const reqId = this.nextReq++;
    let settle!: (r: WorkerReply) => void;
    const settled = new Promise<WorkerReply>((resolve) => (settle = resolve));
    const timer = setTimeout(() => this.finish(reqId, { worker, missing: { worker, why: 'slow' } }), FORGET_MS);
    timer.unref();
    this.pending.set(reqId, { link, key, done: link.tasksDone, settled, settle, timer });
    if (!link.transport.send({ t: 'imageAsk', reqId, query }))
      this.finish(reqId, { worker, missing: { worker, why: 'error', message: 'the link is closed' } });
    return { worker, reply: settled, stale: kept?.reply };
  }

  private answered(link: WorkerLink, m: ImageAnswer.Msg): void {
    const p = this.pending.get(m.reqId);
    // An answer from a worker that was not asked this question is ignored.
    if (!p || p.link !== link) return;
    const worker = link.id;
    if (m.ok && m.reply && p.key === '') return this.finish(m.reqId, { worker, reply: m.reply });
    if (m.ok && m.reply) {
      let byKey = this.kept.get(link);
      if (!byKey) this.kept.set(link, (byKey = new Map()));
      byKey.set(p.key, { done: p.done, reply: m.reply });
      return this.finish(m.reqId, { worker, reply: m.reply });
    }
    const stale = this.kept.get(link)?.get(p.key)?.reply;
    this.finish(m.reqId, {
      worker,
      reply: stale,
      missing: m.busy ? { worker, why: 'busy' } : { worker, why: 'error', message: m.message ?? 'no answer' },
      ...(m.code && { code: m.code }),
    });
  }

  private finish(reqId: number, r: WorkerReply): void {
    const p = this.pending.get(reqId);
    if (!p) return;
    this.pending.delete(reqId);
    clearTimeout(p.timer);
    p.settle(r);
  }

  /** Listens to the pool of the moment only. */
  private follow(pool: WorkerPool | undefined): void {
    if (pool === this.pool) return;
    this.pool?.off('image', this.onAnswer);
    this.pool = pool;
    pool?.on('image', this.onAnswer);
  }

  dispose(): void {
    this.follow(undefined);
    for (const id of [...this.pending.keys()]) this.finish(id, { worker: '', missing: { worker: '', why: 'slow' } });
  }
}
