/**
 * The main thread's side of the eval thread. It keeps the thread running: when the thread
 * dies (out of memory, `process.exit()`, a fatal error) it fails the tasks that were in it,
 * starts a fresh thread and replays the setup forms before anything else runs.
 */
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { isAgentMsg, type AgentMsg } from '../../protocol/messages/agent-messages';
import { encodeFrame, forEvalThread } from '../../protocol/codec/codec';
import type { Frame } from '../../protocol/codec/frame';
import { ErrorCodes } from '../../protocol/errors';
import { Defaults } from '../../protocol/limits';
import { REPLAYED } from '../../protocol/messages/eval-thread-messages';
import type { Drain, FromEvalThread, LinkNumber, RunTasks } from '../../protocol/messages/eval-thread-messages';
import type { FormDef, TaskMsg } from '../../protocol/messages/worker-link-messages';
import { DebugAgent } from '../debug/debug-agent';
import { startEvalThread, takeEarlyEvalThread } from '../eval-thread/eval-thread-start';
import { serveModuleRequests } from '../modules/module-channel';
import type { ModuleFetcher } from '../modules/module-fetch';
import type { FormFinder } from './inbound-queue';
import { failedResults, InterruptGate, type InterruptTarget } from './interrupt-gate';

export interface EvalHostEvents {
  /** An encoded `results` frame for the tasks that link `linkNumber` of the session sent. */
  results: [frame: Frame<'results'>, linkNumber: LinkNumber];
  output: [stream: 'stdout' | 'stderr', text: string];
  restarted: [reason: string];
  /** An operation of an agent in the thread, for the master to route. */
  agent: [msg: AgentMsg.Msg];
}

export interface EvalHostOptions {
  /** Heap limit of the eval thread, in MiB. */
  maxHeapMb?: number;
  /** Interrupts within this long of a restart are held, and coalesced into one restart at most. */
  interruptWindowMs?: number;
  /** Where the thread's module code comes from: the session's master, through the cache. */
  modules?: Pick<ModuleFetcher, 'fetch'>;
}

export class EvalHost extends EventEmitter<EvalHostEvents> {
  private thread!: Worker;
  /** Tasks inside the thread, by id, with the link that sent them. */
  private readonly inflight = new Map<number, LinkNumber>();
  /** Cached forms the thread has compiled, so a fresh thread can compile them again. */
  private readonly cachedForms = new Map<number, FormDef>();
  /** Setup tasks and their forms, replayed in order into a fresh thread. */
  private readonly setup: { forms: FormDef[]; task: TaskMsg }[] = [];
  /** Setup tasks replayed into this thread that have not finished: an interrupt may stop them. */
  private readonly replays = new Set<number>();
  /** Whether an agent may live in this thread: its loops run outside any task. */
  private agentsSeen = false;
  private readonly interrupts: InterruptGate;
  private stopping = false;
  restarts = 0;

  /** The debugger for the eval thread; it follows each fresh thread. */
  readonly debug: DebugAgent;
  private current!: Int32Array;
  /** Forms of tasks in flight, kept only while debugging, to name the form at a suspension. */
  private readonly taskForms = new Map<number, FormDef>();

  constructor(private readonly opts: EvalHostOptions = {}) {
    super();
    this.debug = new DebugAgent(
      () => {
        const id = Atomics.load(this.current, 0);
        return id ? { id, form: this.taskForms.get(id) } : undefined;
      },
      () => this.interrupt(),
    );
    this.interrupts = new InterruptGate(opts.interruptWindowMs ?? Defaults.interruptWindowMs, {
      target: () => this.target(),
      stillRuns: (target) => (target === true ? this.target() !== undefined : this.inflight.has(target)),
      restart: () => this.replace(ErrorCodes.Interrupted, 'interrupted'),
    });
    this.spawn();
  }

  /**
   * Sends forms and tasks into the thread. `find` finds the forms of the frame the tasks
   * came in: a large frame is handed over in slices (see inbound-queue.ts).
   */
  run(linkNumber: LinkNumber, forms: FormDef[], tasks: TaskMsg[], group: number | undefined, find: FormFinder): void {
    for (const f of forms) if (f.cache) this.cachedForms.set(f.id, f);
    const debugging = this.debug.debugging;
    if (debugging) for (const f of forms) this.debug.learn(f);
    for (const t of tasks) {
      this.inflight.set(t.id, linkNumber);
      if (t.agent) this.agentsSeen = true;
      if (debugging) this.taskForms.set(t.id, find(t.form) ?? this.cachedForms.get(t.form)!);
      if (t.setup) {
        const def = find(t.form);
        this.setup.push({ forms: def && !def.cache ? [def] : [], task: t });
      }
    }
    this.post({ t: 'run', linkNumber, forms, tasks, ...(group ? { resultGroup: group } : {}) });
  }

  /**
   * The session's master is back on a new link. It replays its own setup forms before giving
   * work, so the old link's setup and cached forms must not be replayed after a later crash.
   */
  forgetSetup(): void {
    this.setup.length = 0;
    this.cachedForms.clear();
  }

  /** Hands an agent operation from the master to the thread. */
  agent(msg: AgentMsg.Msg): void {
    // A fresh thread must still know which node it is, and number its agents after the old one's.
    if (msg.op === 'node') msg = this.agentNode = { ...msg, ids: this.agentIds };
    this.thread.postMessage(msg);
  }

  private agentNode?: AgentMsg.Msg;
  private readonly agentIds = new Int32Array(new SharedArrayBuffer(4));

  /** The eval thread's id, for debuggers that attach to it. */
  get threadId(): number {
    return this.thread.threadId;
  }

  get busy(): boolean {
    return this.inflight.size > 0;
  }

  /**
   * Stops whatever the thread is running. The thread is replaced, so only setup forms
   * survive; tasks inside it fail with `CREW_INTERRUPTED`. Interrupts coalesce (see
   * interrupt-gate.ts): one while nothing runs does nothing, and the thread restarts at most
   * once per `interruptWindowMs`.
   */
  interrupt(): void {
    this.interrupts.request();
  }

  /** Suspends what the thread runs in the debugger (an interrupt while debugging), as the gate allows. */
  suspend(): void {
    if (this.interrupts.maySuspend()) this.debug.suspend();
  }

  /** What an interrupt now would stop: the oldest task in the thread, or a replay, or agents. */
  private target(): InterruptTarget | undefined {
    const oldest = this.inflight.keys().next();
    if (!oldest.done) return oldest.value;
    return this.replays.size > 0 || this.agentsSeen ? true : undefined;
  }

  /**
   * The worker is leaving: the tasks of link `linkNumber` queued in the thread that have not
   * started are dropped, and their ids returned for the master to give to other workers; the
   * one running goes on. Tasks of older links are dropped too: nobody receives their results.
   */
  drain(linkNumber: LinkNumber): Promise<number[]> {
    const thread = this.thread;
    return new Promise((resolve) => {
      const onMessage = (msg: FromEvalThread) => {
        if (msg.t !== 'drained') return;
        thread.off('message', onMessage).off('exit', onExit);
        const mine = msg.ids.filter((id) => this.inflight.get(id) === linkNumber);
        for (const id of msg.ids) {
          this.inflight.delete(id);
          this.taskForms.delete(id);
        }
        resolve(mine);
      };
      // A thread that dies instead fails its tasks itself (replace).
      const onExit = () => {
        thread.off('message', onMessage);
        resolve([]);
      };
      thread.on('message', onMessage).once('exit', onExit);
      const send = () => thread.postMessage({ t: 'drain' } satisfies Drain.Msg);
      // Behind any tasks still held until the debugger is set, so that they are dropped too.
      const held = this.debug.tasksHeld;
      if (held) void held.then(send);
      else send();
    });
  }

  /** Resolves once no task of link `linkNumber` is in the thread, or at `deadline` (ms since the epoch). */
  idle(linkNumber: LinkNumber, deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('results', check);
        resolve();
      };
      const check = () => {
        for (const l of this.inflight.values()) if (l === linkNumber) return;
        done();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.on('results', check);
      check();
    });
  }

  /** Debug mode on: user errors suspend the thread for the debugger. The same mode again changes nothing. */
  setDebugMode(on: boolean): void {
    if (on === this.debug.debugging) return;
    this.debug.setMode(on);
    if (on) for (const f of this.cachedForms.values()) this.debug.learn(f);
    else this.taskForms.clear();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.interrupts.dispose();
    // A thread paused in the debugger does not end when terminated, and then neither does the
    // process (its exit waits for every thread): leave the pause first.
    await this.debug.release();
    await this.thread.terminate();
  }

  private post(msg: RunTasks.Msg): void {
    // Large arguments move to the thread, and many tasks go packed, instead of being cloned.
    const [out, transfer] = forEvalThread(msg);
    const held = this.debug.tasksHeld;
    if (held) void held.then(() => this.thread.postMessage(out, transfer));
    else this.thread.postMessage(out, transfer);
  }

  private spawn(): void {
    const { thread, current, modules } =
      (this.restarts === 0 && takeEarlyEvalThread(this.opts.maxHeapMb)) || startEvalThread(this.opts.maxHeapMb);
    serveModuleRequests(modules, (hashes) => this.opts.modules?.fetch(hashes) ?? Promise.resolve([]));
    this.current = current;
    this.thread = thread;
    this.agentsSeen = false;
    this.replays.clear();
    this.debug.attach(thread);
    thread.stdout.setEncoding('utf8').on('data', (text: string) => this.emit('output', 'stdout', text));
    thread.stderr.setEncoding('utf8').on('data', (text: string) => this.emit('output', 'stderr', text));
    thread.on('message', (msg: unknown) => {
      if (thread !== this.thread || !isAgentMsg(msg)) return;
      this.agentsSeen = true;
      this.emit('agent', msg);
    });
    if (this.agentNode) thread.postMessage(this.agentNode);
    thread.on('message', (msg: FromEvalThread) => {
      if (thread !== this.thread) return;
      if (msg.t === 'ready') return this.interrupts.ready();
      if (msg.t !== 'results') return;
      for (const id of msg.ids) {
        this.inflight.delete(id);
        this.taskForms.delete(id);
        if (msg.linkNumber === REPLAYED) this.replays.delete(id);
      }
      this.emit('results', msg.frame, msg.linkNumber);
    });
    let why = '';
    thread.on('error', (err) => {
      why = `${err.name}: ${err.message}`;
    });
    thread.on('exit', (code) => {
      if (thread !== this.thread || this.stopping) return;
      this.replace(ErrorCodes.EvalThreadDied, why || `the eval thread exited with code ${code}`, true);
    });
    if (this.cachedForms.size > 0)
      this.post({ t: 'run', linkNumber: REPLAYED, forms: [...this.cachedForms.values()], tasks: [] });
    for (const { forms, task } of this.setup) {
      this.replays.add(task.id);
      this.post({ t: 'run', linkNumber: REPLAYED, forms, tasks: [task] });
    }
  }

  /** Fails the tasks inside the thread and starts a fresh one. */
  private replace(
    code: typeof ErrorCodes.Interrupted | typeof ErrorCodes.EvalThreadDied,
    reason: string,
    alreadyDead = false,
  ): void {
    const old = this.thread;
    const byLink = failedResults(this.inflight, code, reason);
    // A setup form that was interrupted is not replayed: the fresh thread would run the same loop again.
    if (code === ErrorCodes.Interrupted)
      for (let i = this.setup.length - 1; i >= 0; i--)
        if (this.inflight.has(this.setup[i].task.id)) this.setup.splice(i, 1);
    this.inflight.clear();
    this.taskForms.clear();
    this.restarts++;
    this.interrupts.restarted();
    this.spawn();
    if (!alreadyDead) void old.terminate();
    // The agents of the old thread are gone; the master tells whoever was attached to them.
    if (this.agentNode?.op === 'node')
      this.emit('agent', { t: 'agent', op: 'down', node: this.agentNode.node, pool: this.agentNode.pool, reason });
    for (const [link, results] of byLink) this.emit('results', encodeFrame({ t: 'results', results }), link);
    this.emit('restarted', reason);
  }
}
