/**
 * A pool of workers: the links, the replay log, and the scheduler. Workers can join and
 * leave at any time; a joining worker gets the replay log before any other work.
 */
import { findWorker, type WorkerRef } from './worker-ref';
import type { SlurmJob } from '../launch/slurm-launch';
import { EventEmitter } from 'node:events';
import { Audit } from '../../protocol/audit';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { Defaults } from '../../protocol/limits';
import { resolveSecret, type SecretOptions } from '../../protocol/secret';
import { isSigningOffer, Signer, signingKey } from '../../protocol/signing';
import type { FormDef, WorkerInfo } from '../../protocol/messages/worker-link-messages';
import { Identity } from '../../protocol/link/identity';
import { CloseCodes, type MasterEnd } from '../../protocol/link/link';
import { CdpEndpoint } from '../debug/cdp-proxy';
import { DebugBroker } from '../debug/debug-broker';
import { AgentRouter } from '../agents/agent-router';
import { masterAgents } from '../agents/master-agents';
import { FormRegistry } from '../api/form';
import { warnNodeMismatch } from './node-version';
import { checkPoolOptions, checkWholeNumber, defaultOutput, type PoolEvents, type PoolOptions } from './pool-options';
import { ReplayLog } from './replay-log';
import { Throttle } from './throttle';
import { NoWorkerGrace } from './no-worker-grace';
import { SizeWatch } from './size-watch';
import { WorkerMessages } from './worker-messages';
import { Scheduler } from './scheduler';
import { taskBytes, type Task, type TaskOutcome } from './task';
import { WorkerLink, type WorkerSummary } from './worker-link';

export type { PoolEvents, PoolOptions } from './pool-options';

/** At most one `workers-changed` per this many ms: building it looks at every worker. */
const WORKERS_CHANGED_MS = 50;

/** A pool of connected workers. Create one with `connectWorkers` or `startMaster`. */
export class WorkerPool extends EventEmitter<PoolEvents> {
  readonly audit: Audit;
  readonly forms = new FormRegistry();
  readonly scheduler: Scheduler;
  /** Remote debugging: worker suspensions, forwarded to whoever listens (the editor). */
  readonly debug = new DebugBroker();
  /** Where VS Code's own debugger attaches to a worker's eval thread; started when first asked. */
  readonly cdp = new CdpEndpoint(this);
  /** Every worker's link, by worker id: the pool owns them; others only read. */
  readonly links = new Map<string, WorkerLink>();
  private readonly messages: WorkerMessages;
  private readonly idsByName = new Map<string, string>();
  private readonly replayLog = new ReplayLog();
  private nextWorker = 1;
  /** Routes messages between agents on different workers (Erlangen), and the master's own. */
  readonly agents: AgentRouter;
  private nextTask = 1;
  private readonly noWorker: NoWorkerGrace;
  private readonly workersNotice = new Throttle(WORKERS_CHANGED_MS, () => this.emit('workers-changed', this.workers));
  private readonly sizeWatch = new SizeWatch(() => this.size);
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  closed = false;
  /**
   * Whether the pool was made to have workers, or has had one. Such a pool never evaluates on
   * the master: with no worker left, work waits the no-worker grace for one, then fails.
   */
  expectsWorkers = false;
  /** Workers that could not be reached when the pool was made, each with why. */
  connectErrors: Error[] = [];
  /** The Slurm job array of the pool's own workers, when `startMaster({ slurm })` submitted one. */
  slurmJob?: SlurmJob;
  private signKey?: Buffer;
  /** Dials one more listening worker (`addWorkers`); a closure, so the secret is not a field anyone can print. */
  dialer?: (address: string) => Promise<void>;
  /**
   * While this says workers are on their way (a Slurm job's tasks pending or starting), calls
   * made with no worker wait for them past the no-worker grace, instead of failing.
   */
  workersComing?: () => Promise<boolean>;
  /** Where a master made by `startMaster` listens for workers. */
  listenAddress?: { host: string; port: number; member: string };
  /** Who this master is to its workers, proven in each handshake (a worker resumes its session by it). */
  readonly identity = new Identity();

  constructor(readonly options: PoolOptions = {}) {
    super();
    checkPoolOptions(options);
    this.audit = new Audit('master', options.audit);
    this.scheduler = new Scheduler(
      {
        readyLinks: () => this.readyLinks(),
        onSent: (link, count, bytes) => this.audit.log('sent', { worker: link.id, tasks: count, bytes }),
        onRequeue: (link, count, reason) => this.audit.log('requeue', { from: link.id, tasks: count, reason }),
        onTaskBad: (task) =>
          this.audit.log('task-bad', {
            task: task.id,
            form: `${task.def.filename}:${task.def.line}`,
            kills: task.kills,
          }),
      },
      options.maxTaskWorkerKills ?? Defaults.maxTaskWorkerKills,
      options.maxFrameBytes ?? Defaults.maxFrameBytes,
    );
    // The router sees only the links and whether the pool is closed; `closed` is read live.
    const pool = this;
    this.noWorker = new NoWorkerGrace(this, options.noWorkerGraceMs ?? Defaults.noWorkerGraceMs);
    this.agents = new AgentRouter(
      {
        get closed() {
          return pool.closed;
        },
        nodes: () => this.links.values(),
        node: (id) => this.link(id),
      },
      masterAgents(),
    );
    this.messages = new WorkerMessages({
      audit: this.audit,
      scheduler: this.scheduler,
      debug: this.debug,
      agents: this.agents,
      modules: this.forms.modules.codes,
      output: (link, stream, text) => this.emit('output', link.id, stream, text),
      cdp: (link, m) => this.emit('cdp', link, m),
      image: (link, m) => this.emit('image', link, m),
      forget: (link) => {
        if (this.links.get(link.id) === link) this.links.delete(link.id);
        if (this.size === 0) this.noWorker.arm();
      },
      changed: () => this.changed(),
      loadChanged: () => this.notifyWorkers(),
    });
    this.on('output', options.onOutput ?? defaultOutput);
  }

  /** Workers currently in the pool, in the order they joined. */
  get workers(): WorkerSummary[] {
    return [...this.links.values()].map((l) => l.summary());
  }

  /** Whether calls evaluate on the master: only a pool made with no workers, none yet joined or coming. */
  get evaluatesOnMaster(): boolean {
    return !this.expectsWorkers && this.size === 0 && !this.workersComing;
  }

  /** Number of workers that take work now (counted as they change, not by looking at each). */
  get size(): number {
    return this.closed ? 0 : this.scheduler.readyCount;
  }

  *readyLinks(): Iterable<WorkerLink> {
    for (const l of this.links.values()) if (l.state === 'ready') yield l;
  }

  link(id: string): WorkerLink | undefined {
    return this.links.get(id) ?? [...this.links.values()].find((l) => l.info.name === id);
  }

  /** Waits until at least `count` workers are ready, or rejects after `timeoutMs`. */
  waitForWorkers(count: number, timeoutMs = 30_000): Promise<void> {
    return this.sizeWatch.wait(count, timeoutMs);
  }

  /** Makes a task and hands it to the scheduler. */
  submit(spec: Omit<Task, 'id' | 'kills' | 'settle'>, settle: (o: TaskOutcome) => void): Task {
    if (this.closed) throw crewError(ErrorCodes.PoolClosed, 'the pool is disconnected');
    checkWholeNumber('timeoutMs', spec.timeoutMs, 1);
    const max = this.options.maxQueuedTasks ?? Defaults.maxQueuedTasks;
    if (this.scheduler.queued >= max)
      throw crewError(ErrorCodes.LimitExceeded, `the pool already has ${max} tasks queued; wait for some to finish`);
    const bytes = taskBytes(spec);
    const maxFrame = this.options.maxFrameBytes ?? Defaults.maxFrameBytes;
    if (bytes > maxFrame)
      throw crewError(
        ErrorCodes.LimitExceeded,
        `a task of ${bytes} bytes (form and arguments) is over the frame limit of ${maxFrame} bytes (maxFrameBytes)`,
      );
    // Not `{ ...spec, id }`: V8 (Node 20) takes a slow path for that, about 5 us per task.
    const task: Task = Object.assign({}, spec, { id: this.nextTask++, kills: 0, settle });
    this.scheduler.submit(task);
    if (this.size === 0) this.noWorker.arm();
    return task;
  }

  /** Records a form that every later worker must run before taking work. */
  addReplay(def: FormDef, args?: Uint8Array): void {
    this.replayLog.add(def, args);
  }

  /** Takes a form back out of the replay log. */
  dropReplay(def: FormDef): void {
    this.replayLog.remove(def);
  }

  /** Adds an authenticated connection once the worker has said who it is. */
  adopt(transport: MasterEnd, info: WorkerInfo, dialAddress?: string, peerId?: string): WorkerLink {
    // A redial can finish after close(); the worker must not be left connected to nothing.
    if (this.closed) transport.dispose(CloseCodes.Shutdown, 'the pool is disconnected');
    const key = `${info.host}/${info.name}`;
    const id = this.idsByName.get(key) ?? `w${this.nextWorker++}`;
    this.expectsWorkers = true;
    this.idsByName.set(key, id);
    this.links.get(id)?.transport.dispose(CloseCodes.Normal, 'replaced by a new connection');
    const link = new WorkerLink(id, info, transport);
    this.scheduler.track(link);
    Object.assign(link, { dialAddress, peerId });
    link.taskGroup = this.options.taskGroup;
    link.resultGroup = this.options.resultGroup;
    if (
      isSigningOffer(info.signing) &&
      (info.signing.required ? this.options.sign !== false : this.options.sign === true)
    ) {
      this.signKey ??= signingKey(resolveSecret(this.options as SecretOptions));
      link.signer = new Signer(this.signKey, info.signing.nonce);
    }
    this.links.set(id, link);
    this.audit.log('connect', { worker: id, name: info.name, address: transport.peer, pid: info.pid });
    warnNodeMismatch(this.audit, id, info.node);
    transport.startHeartbeat(this.options.heartbeatTimeoutMs ?? Defaults.heartbeatTimeoutMs);
    this.messages.listen(link);
    if (this.debug.enabled) transport.send({ t: 'debugMode', on: true });
    void this.replay(link);
    return link;
  }

  private async replay(link: WorkerLink): Promise<void> {
    this.changed();
    await this.replayLog.runOn(link, () => this.nextTask++, this.audit);
    if (link.state !== 'replaying') return;
    link.state = 'ready';
    if (this.replayLog.length > 0) this.audit.log('replay', { worker: link.id, forms: this.replayLog.length });
    this.audit.log('state', { worker: link.id, state: 'ready' });
    this.noWorker.cancel();
    this.changed();
    this.scheduler.dispatch();
  }

  /** Workers joined, became ready or left. */
  private changed(): void {
    this.agents.sync();
    this.sizeWatch.changed();
    this.notifyWorkers();
  }

  /**
   * `workers-changed` carries every worker's summary, which costs one look at each worker:
   * throttled, its cost is bounded per second whatever the rate of tasks and joins.
   */
  private notifyWorkers(): void {
    if (this.listenerCount('workers-changed') === 0) return;
    if (this.closed) this.workersNotice.now();
    else this.workersNotice.poke();
  }

  /**
   * Interrupts what one worker (or every busy worker) is running. The tasks inside it fail
   * with `CREW_INTERRUPTED`; setup forms are replayed on its fresh eval thread. Returns the
   * ids of the workers interrupted.
   */
  interrupt(worker?: WorkerRef): string[] {
    const targets = worker ? [findWorker(this, worker)] : [...this.links.values()].filter((l) => l.inflight.size > 0);
    const done: string[] = [];
    for (const link of targets) {
      if (!link) continue;
      // With an editor attached, SLIME's interrupt: suspend into the debugger instead.
      link.transport.send(this.debug.enabled ? { t: 'debugSuspend' } : { t: 'interrupt' });
      this.audit.log('call', { interrupt: link.id });
      done.push(link.id);
    }
    return done;
  }

  /** On (an editor attached): user errors suspend on the worker for `debug`; off, they reject at once. */
  setDebugOnError(on: boolean): void {
    this.debug.setMode(on, this.links.values());
  }

  /** Registers something to undo when the pool closes (a server, child processes). */
  onClose(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  /** Closes every connection; calls in flight reject with `CREW_POOL_CLOSED`. */
  async close(reason = 'disconnected'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.noWorker.cancel();
    this.scheduler.failAll(
      crewError(ErrorCodes.PoolClosed, `the pool was disconnected: ${reason}`),
      this.links.values(),
    );
    for (const link of this.links.values()) {
      link.transport.send({ t: 'shutdown', reason });
      link.transport.dispose(CloseCodes.Shutdown, reason);
    }
    this.links.clear();
    this.audit.flush();
    this.audit.log('shutdown', { reason });
    for (const c of this.cleanups.splice(0).reverse()) await c();
    this.changed();
  }
}
