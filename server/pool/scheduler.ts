/**
 * Dispatches tasks to ready workers. Each worker keeps a window of tasks in flight sized
 * from measured task cost, so tiny tasks travel many to a frame and slow ones one at a time.
 * Tasks on a worker that leaves go back to the front of the queue. A worker that dies or is
 * lost is a strike against each task it held; a task with `maxKills` strikes fails instead
 * of taking down the whole pool. A worker that closed its link cleanly, or said it was leaving
 * and handed its tasks back, is no strike.
 */
import { decodeValue } from '../../protocol/codec/codec';
import { PrintedValue } from '../../protocol/printed-value';
import { crewError, ErrorCodes, RemoteError } from '../../protocol/errors';
import { Queue } from '../../protocol/queue';
import type { ResultMsg } from '../../protocol/messages/worker-link-messages';
import { isInteractive } from '../api/interactive';
import { withClosureHint } from './closure-hint';
import { taskBytes, type Task } from './task';
import type { WorkerLink } from './worker-link';

export interface SchedulerHooks {
  /** Every ready link, for the rare case that looks at all of them (the debugger's "retry elsewhere"). */
  readyLinks(): Iterable<WorkerLink>;
  /** Called with each frame sent, for the audit trail. */
  onSent?(link: WorkerLink, count: number, bytes: number): void;
  onRequeue?(link: WorkerLink, count: number, reason: string): void;
  onTaskBad?(task: Task): void;
}

export class Scheduler {
  private readonly queue = new Queue<Task>();
  private scheduled = false;
  /**
   * Who can take work, kept up to date as tasks go out and results come back, so that
   * handing out a task never looks at every worker: ready links with nothing in flight, the
   * longest idle first (dpfw offers them work first); ready links with tasks in flight and
   * room for more; links with tasks for them alone waiting.
   */
  private readonly idle = new Set<WorkerLink>();
  private readonly open = new Set<WorkerLink>();
  private readonly withTargeted = new Set<WorkerLink>();
  private readonly tracked = new Set<WorkerLink>();
  private ready = 0;

  constructor(
    private readonly hooks: SchedulerHooks,
    private readonly maxKills: number,
    /** Frames stay under this, so a batch of large tasks is split rather than refused by the worker. */
    private readonly maxFrameBytes = Infinity,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** How many tracked links are ready to take work. */
  get readyCount(): number {
    return this.ready;
  }

  /** Starts following a link: from now on its state and what it holds decide whether it is offered work. */
  track(link: WorkerLink): void {
    if (this.tracked.has(link)) return;
    this.tracked.add(link);
    let wasReady = link.state === 'ready';
    if (wasReady) this.ready++;
    link.onStateChange = () => {
      const isReady = link.state === 'ready';
      if (isReady !== wasReady) this.ready += isReady ? 1 : -1;
      wasReady = isReady;
      if (link.state === 'closed') {
        this.tracked.delete(link);
        this.withTargeted.delete(link);
      }
      this.place(link);
      if (isReady) this.schedule();
    };
    this.place(link);
  }

  /** Puts a link in the list its state and load say, keeping its place if it is already there. */
  private place(link: WorkerLink): void {
    const where =
      link.state !== 'ready' ? undefined : link.inflight.size === 0 ? this.idle : link.room > 0 ? this.open : undefined;
    if (where !== this.idle) this.idle.delete(link);
    if (where !== this.open) this.open.delete(link);
    if (where && !where.has(link)) where.add(link);
  }

  submit(task: Task): void {
    // Made by an evaluation a person waits for: what cannot be sent comes back printed (interactive.ts).
    if (!task.printable && isInteractive()) task.printable = true;
    if (task.target) {
      task.target.targeted.push(task);
      this.withTargeted.add(task.target as WorkerLink);
    } else this.queue.push(task);
    this.schedule();
  }

  /** Coalesces dispatch so tasks submitted in one tick go out in as few frames as possible. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  /**
   * Hands out what is waiting: tasks for one worker to theirs, then the shared queue to idle
   * workers first and then to those with room, stopping when the queue is empty. The cost is
   * in the tasks sent, not in the number of workers.
   */
  dispatch(): void {
    if ((this.queue.length === 0 && this.withTargeted.size === 0) || this.ready === 0) return;
    const waiting = this.queue.length;
    const seen = new Set<WorkerLink>();
    for (const link of this.withTargeted) if (link.state === 'ready') this.fill(link, waiting, seen);
    for (const link of this.idle) {
      if (this.queue.length === 0) break;
      if (!seen.has(link)) this.fill(link, waiting, seen);
    }
    for (const link of this.open) {
      // A task that was on a dying worker runs alone, so only an idle worker takes it.
      if (this.queue.length === 0 || this.queue.peek()!.kills > 0) break;
      if (!seen.has(link)) this.fill(link, waiting, seen);
    }
    for (const link of seen) this.place(link);
  }

  /** Sends one worker its own tasks and its share of the queue, as its window allows. */
  private fill(link: WorkerLink, waiting: number, seen: Set<WorkerLink>): void {
    seen.add(link);
    const group = link.taskGroup;
    // Share the queue fairly: no worker takes more than its part of what is waiting. A
    // worker's window comes from the cost of the tasks it ran last, so it says nothing of new,
    // slower ones; a map makes enough tasks at once (per worker) for frames of many tasks.
    const share = group ? Math.ceil(waiting / this.ready / group) * group : Math.ceil(waiting / this.ready);
    let room = link.room;
    // CL-MW's task grouping: whole groups only, and a short one only when little is left.
    if (group && room < Math.min(group, link.targeted.length + this.queued)) return;
    // Tasks for this worker alone go out at once, past the window: a worker suspended in
    // the debugger must still receive the definition the developer fixes.
    const batch: Task[] = link.targeted.splice(0);
    this.withTargeted.delete(link);
    room -= batch.length;
    let taken = 0;
    let bytes = 0;
    while (room > 0 && taken < share && this.queue.length > 0) {
      const task = this.queue.peek()!;
      bytes += taskBytes(task);
      if (batch.length > 0 && bytes > this.maxFrameBytes / 2) break;
      // A task that was on a dying worker runs alone, so a poisonous task cannot take
      // innocent ones down with it.
      if (task.kills > 0 && (batch.length > 0 || link.inflight.size > 0)) break;
      if (task.allowed && !task.allowed.has(link) && [...task.allowed].some((l) => l.state !== 'closed')) break;
      this.queue.shift();
      batch.push(task);
      room--;
      taken++;
      if (task.kills > 0) break;
    }
    for (let i = 0; i < batch.length; i += group ?? batch.length) {
      const part = group ? batch.slice(i, i + group) : batch;
      this.hooks.onSent?.(link, part.length, link.send(part));
    }
  }

  /** Settles tasks from a worker's results frame and refills its window. */
  onResults(link: WorkerLink, results: ResultMsg[]): void {
    for (const r of results) {
      const task = link.inflight.get(r.id);
      if (!task) continue;
      link.inflight.delete(r.id);
      link.recordCost(r.ms);
      link.tasksDone++;
      if (r.ok) {
        let value: unknown;
        try {
          value = r.printed ? new PrintedValue(decodeValue(r.value) as string) : decodeValue(r.value);
        } catch (err) {
          task.settle({
            ok: false,
            error: crewError(
              ErrorCodes.BadFrame,
              `result of task ${task.id} from ${link.id} does not decode: ${(err as Error).message}`,
            ),
            worker: link,
          });
          continue;
        }
        task.settle({ ok: true, value, worker: link, ms: r.ms });
      } else if (r.error.code === ErrorCodes.RetryElsewhere) {
        this.retryElsewhere(link, task);
      } else if (r.error.code === ErrorCodes.EvalThreadDied && !task.target) {
        this.requeue(link, [task], r.error.message, true);
      } else {
        const error = new RemoteError(link.id, withClosureHint(task.def, r.error));
        task.settle({ ok: false, error, worker: link, remote: r.error });
      }
    }
    this.place(link);
    this.dispatch();
  }

  /** A worker is gone: its targeted tasks fail, the rest go back to the front of the queue. */
  onLinkClosed(link: WorkerLink, reason: string): void {
    const lost = crewError(ErrorCodes.WorkerLost, `worker ${link.id} (${link.address}) went away: ${reason}`);
    const movable: Task[] = [];
    for (const task of [...link.inflight.values(), ...link.targeted.splice(0)]) {
      if (task.target) task.settle({ ok: false, error: lost, worker: link });
      else movable.push(task);
    }
    link.inflight.clear();
    this.withTargeted.delete(link);
    this.place(link);
    this.requeue(link, movable, reason, !link.closedCleanly);
  }

  /**
   * A worker that is leaving on purpose gives back tasks it will not run: those any worker
   * may run go to the front of the queue with no strike; those for it alone fail.
   */
  onHandBack(link: WorkerLink, ids: readonly number[], reason: string): void {
    const gone = crewError(ErrorCodes.WorkerLost, `worker ${link.id} (${link.address}) left: ${reason}`);
    const movable: Task[] = [];
    for (const id of ids) {
      const task = link.inflight.get(id);
      if (!task) continue;
      link.inflight.delete(id);
      if (task.target) task.settle({ ok: false, error: gone, worker: link });
      else movable.push(task);
    }
    for (const task of link.targeted.splice(0)) task.settle({ ok: false, error: gone, worker: link });
    this.withTargeted.delete(link);
    this.place(link);
    this.requeue(link, movable, reason, false);
  }

  /** The debugger's "retry on another worker": any ready worker but this one, if there is one. */
  private retryElsewhere(link: WorkerLink, task: Task): void {
    const others = new Set([...this.hooks.readyLinks()].filter((l) => l !== link));
    task.target = undefined;
    task.allowed = others.size > 0 ? others : undefined;
    this.queue.pushFront([task]);
    this.schedule();
  }

  /** Puts tasks back at the front of the queue; with `strike`, their worker died holding them. */
  private requeue(link: WorkerLink, tasks: Task[], reason: string, strike: boolean): void {
    const again: Task[] = [];
    for (const task of tasks) {
      link.inflight.delete(task.id);
      if (strike) task.kills++;
      if (strike && task.kills >= this.maxKills) {
        this.hooks.onTaskBad?.(task);
        task.settle({
          ok: false,
          error: crewError(
            ErrorCodes.TaskKilledWorkers,
            `task ${task.id} (${task.def.filename}:${task.def.line}) was on ${task.kills} workers ` +
              `that died in a row; it is marked bad and not tried again. Last: ${reason}`,
          ),
        });
      } else again.push(task);
    }
    if (again.length === 0) return;
    this.hooks.onRequeue?.(link, again.length, reason);
    this.queue.pushFront(again);
    this.schedule();
  }

  /** The tasks among `ids` not sent yet fail with `error` and are never sent; those on a worker need an interrupt. */
  withdraw(ids: ReadonlySet<number>, error: Error): void {
    const withdrawn = this.queue.removeWhere((t) => ids.has(t.id));
    for (const link of this.withTargeted) {
      withdrawn.push(...link.targeted.filter((t) => ids.has(t.id)));
      link.targeted.splice(0, Infinity, ...link.targeted.filter((t) => !ids.has(t.id)));
    }
    for (const task of withdrawn) task.settle({ ok: false, error });
  }

  /** Fails everything waiting, e.g. when the pool closes or no worker is left. */
  failAll(error: Error, links: Iterable<WorkerLink>): void {
    const waiting = this.queue.drain();
    for (const link of links) {
      waiting.push(...link.targeted.splice(0), ...link.inflight.values());
      link.inflight.clear();
      this.place(link);
    }
    this.withTargeted.clear();
    for (const task of waiting) task.settle({ ok: false, error });
  }

  /** Fails only tasks waiting in the shared queue. */
  failQueued(error: Error): void {
    const waiting = this.queue.drain();
    for (const task of waiting) task.settle({ ok: false, error });
  }
}
