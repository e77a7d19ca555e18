/**
 * The master's end of one authenticated worker connection: what is in flight on it, which
 * forms it already has, and how many tasks to keep queued on it.
 */
import { encodeFrame, encodeTaskFrame } from '../../protocol/codec/codec';
import type { FormDef, TaskMsg, Tasks, WorkerInfo } from '../../protocol/messages/worker-link-messages';
import type { Signer } from '../../protocol/signing';
import { CloseCodes, type MasterEnd } from '../../protocol/link/link';
import type { Task } from './task';
import type { WorkerLoad, WorkerState, WorkerSummary } from '../../protocol/worker-summary';

export type { WorkerState, WorkerSummary } from '../../protocol/worker-summary';

/** Tasks at or above this cost run one at a time per worker, so load stays balanced. */
const SLOW_TASK_MS = 20;
/** Queued work per worker, in milliseconds, that keeps it busy across a round trip. */
const QUEUE_BUDGET_MS = 2;
const MAX_WINDOW = 1024;
/**
 * Close codes of a worker that left on purpose: it stopped, served another master, or was
 * told to shut down. 1001 is the WebSocket spec's "going away".
 */
const CLEAN_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCodes.Normal, 1001, CloseCodes.Shutdown]);

export class WorkerLink {
  private currentState: WorkerState = 'replaying';
  /** Told of every change of state: the scheduler keeps its lists of who takes work by it. */
  onStateChange?: (link: WorkerLink) => void;
  readonly inflight = new Map<number, Task>();
  /** Tasks that must run on this worker, waiting for room. */
  readonly targeted: Task[] = [];
  private readonly formsSent = new Set<number>();
  tasksDone = 0;
  /** Compute time of every task the worker finished, in ms, as it reported them. */
  busyMs = 0;
  /** The CPU and memory the worker last reported. */
  load?: WorkerLoad;
  /** Moving average of task compute time reported by the worker. */
  private avgMs = -1;
  /** Whether the pool dialed this worker (and so redials it). */
  dialAddress?: string;
  /** The worker process's identity, as its handshake proved it. */
  peerId?: string;
  /** CL-MW's grouping: tasks per frame sent, and results the worker holds back per frame. */
  taskGroup?: number;
  resultGroup?: number;
  /** Signs each frame of tasks, for a worker that asked for it or a pool that always signs. */
  signer?: Signer;

  constructor(
    readonly id: string,
    readonly info: WorkerInfo,
    readonly transport: MasterEnd,
  ) {}

  get state(): WorkerState {
    return this.currentState;
  }

  set state(state: WorkerState) {
    if (state === this.currentState) return;
    this.currentState = state;
    this.onStateChange?.(this);
  }

  /**
   * Whether the worker closed the link on purpose, rather than dying or being lost (a crash,
   * kill -9, a missed heartbeat, a connection dropped without a closing handshake).
   */
  get closedCleanly(): boolean {
    const code = this.transport.peerCloseCode;
    return code !== undefined && CLEAN_CLOSE_CODES.has(code);
  }

  get address(): string {
    return this.transport.peer;
  }

  /** How many tasks to keep in flight, from the measured task cost. */
  get window(): number {
    if (this.taskGroup) return 2 * this.taskGroup;
    if (this.avgMs < 0) return 2;
    if (this.avgMs >= SLOW_TASK_MS) return 1;
    return Math.min(MAX_WINDOW, Math.max(2, Math.ceil(QUEUE_BUDGET_MS / Math.max(this.avgMs, 0.001)) + 1));
  }

  get room(): number {
    return this.window - this.inflight.size;
  }

  recordCost(ms: number): void {
    this.busyMs += ms;
    this.avgMs = this.avgMs < 0 ? ms : this.avgMs * 0.8 + ms * 0.2;
  }

  /** Sends tasks in one frame, with any forms this worker has not seen. Returns the frame size. */
  send(tasks: Task[]): number {
    const forms: FormDef[] = [];
    let plain = !this.signer;
    for (const t of tasks) {
      // A one-off form goes once per task (the worker counts its uses; V8 writes repeats of
      // the same object as back-references); a cached form goes once per worker.
      if (!t.def.cache) forms.push(t.def);
      else if (!this.formsSent.has(t.def.id)) {
        forms.push(t.def);
        this.formsSent.add(t.def.id);
      }
      this.inflight.set(t.id, t);
      // A task field the worker must see, other than id, form, args, timeout and setup,
      // leaves the compact layout: it goes in message() below.
      if (t.agent) plain = false;
    }
    // Plain tasks go straight into the compact frame, without a message object per task.
    const frame = (plain && encodeTaskFrame(forms, tasks, this.resultGroup)) || encodeFrame(this.message(forms, tasks));
    this.transport.sendFrame(frame);
    return frame.length;
  }

  private message(forms: FormDef[], tasks: Task[]): Tasks.Msg {
    const msgs: TaskMsg[] = [];
    for (const t of tasks) {
      msgs.push({ id: t.id, form: t.def.id, args: t.args, timeoutMs: t.timeoutMs, setup: t.setup });
      // Only when set: a task with an unusual field leaves the compact frame layout.
      if (t.agent) msgs[msgs.length - 1].agent = t.agent;
      if (t.printable) msgs[msgs.length - 1].printable = true;
    }
    const msg: Tasks.Msg = { t: 'tasks', forms, tasks: msgs };
    if (this.resultGroup) msg.resultGroup = this.resultGroup;
    if (this.signer) msg.sig = this.signer.sign(forms, msgs, this.resultGroup);
    return msg;
  }

  summary(): WorkerSummary {
    const first = this.inflight.values().next();
    return {
      id: this.id,
      name: this.info.name,
      host: this.info.host,
      address: this.address,
      pid: this.info.pid,
      state: this.state,
      inFlight: this.inflight.size,
      tasksDone: this.tasksDone,
      currentTask: first.done
        ? undefined
        : `${first.value.def.filename}:${first.value.def.line} ${first.value.def.code.slice(0, 60)}`,
      slurm: this.info.slurm,
      ...(this.load && { load: this.load }),
    };
  }
}
