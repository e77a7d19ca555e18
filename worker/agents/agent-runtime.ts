/**
 * The agents of one node (a worker's eval thread, or the master): their mailboxes, the
 * links and monitors between them, and names. Which agent is running is tracked with
 * AsyncLocalStorage, so `self()` and `receive()` work across every `await` in an agent.
 * Operations on agents of other nodes go out through `out`, towards the master.
 *
 * Mailbox overflow: a mailbox holds at most `mailboxSize` messages. A message sent to a full
 * mailbox is dropped and counted (`agentStats().dropped`), as in Erlangen; the sender is not
 * told, since on another node it could not be told in time. Exit notices and exits are never
 * dropped: they skip the bound.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { inspect } from 'node:util';
import {
  agentName,
  DEFAULT_MAILBOX_SIZE,
  isAgentRef,
  NOPROC,
  sameAgent,
  type AgentOp,
  type AgentRef,
  type AgentSpawnSpec,
  type AttachMode,
  type ExitNotice,
} from '../../protocol/messages/agent-messages';
import { decodeValue, encodeValue } from '../../protocol/codec/codec';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { addRef, Agent, describe, encodeSafely, removeRef } from './agent';
import { AgentNames } from './agent-names';
import { Mailbox } from './mailbox';

/** The agents of one node; see the top of this file. */
export class AgentRuntime {
  node: string;
  pool = '';
  /** Every registered name; on a worker a copy the master keeps up to date. */
  readonly names: AgentNames = new AgentNames();
  private readonly agents = new Map<number, Agent>();
  private readonly als = new AsyncLocalStorage<Agent>();
  private nextId = 1;
  /** On a worker, numbers shared with the eval threads before and after this one. */
  private ids?: Int32Array;
  /** On the master, code outside any agent acts as agent 0, which never ends. */
  private readonly root?: Agent;

  constructor(
    private readonly out: (op: AgentOp) => void,
    opts: { node?: string; root?: boolean } = {},
  ) {
    this.node = opts.node ?? '';
    if (opts.root) this.root = new Agent(this.refFor(0), new Mailbox(DEFAULT_MAILBOX_SIZE));
  }

  private refFor(agent: number): AgentRef {
    return this.node === 'master' ? { agent, node: 'master' } : { agent, node: this.node, pool: this.pool };
  }

  private local(ref: AgentRef): Agent | undefined {
    if (ref.node !== this.node || (ref.node !== 'master' && (ref.pool ?? '') !== this.pool)) return undefined;
    return ref.agent === 0 ? this.root : this.agents.get(ref.agent);
  }

  isLocal(ref: AgentRef): boolean {
    return ref.node === this.node && (ref.node === 'master' || (ref.pool ?? '') === this.pool);
  }

  /** The calling agent: the one whose code is running, or the master's top level. */
  current(): Agent | undefined {
    return this.als.getStore() ?? this.root;
  }

  self(): AgentRef {
    const a = this.current();
    if (!a) throw crewError(ErrorCodes.BadArgument, 'self() is only available inside an agent; start one with spawn()');
    return a.ref;
  }

  /** Starts `fn(...args)` as an agent. It runs from the next turn of the event loop. */
  start(fn: unknown, args: unknown[], spec: AgentSpawnSpec): AgentRef {
    if (typeof fn !== 'function') throw crewError(ErrorCodes.BadForm, `an agent must be a function, got ${typeof fn}`);
    const size = spec.mailboxSize ?? DEFAULT_MAILBOX_SIZE;
    if (!Number.isInteger(size) || size < 1)
      throw crewError(ErrorCodes.BadArgument, `mailboxSize must be a whole number >= 1, got ${String(size)}`);
    if (spec.name !== undefined) this.names.checkFree(spec.name);
    const agent = new Agent(this.refFor(this.ids ? Atomics.add(this.ids, 0, 1) + 1 : this.nextId++), new Mailbox(size));
    this.agents.set(agent.ref.agent, agent);
    if (spec.attach) {
      const { to, mode } = spec.attach;
      if (mode === 'link') {
        agent.links.push(to);
        // Links go both ways: if the spawner ends first, this agent ends too.
        const parent = this.local(to);
        if (parent && parent !== this.root) addRef(parent.links, agent.ref);
      } else agent.monitors.push(to);
    }
    if (spec.name !== undefined) this.register(spec.name, agent.ref);
    setImmediate(() =>
      this.als.run(agent, () => {
        let result: unknown;
        try {
          result = (fn as (...a: unknown[]) => unknown)(...args);
        } catch (err) {
          return this.end(agent, ['exit', err]);
        }
        Promise.resolve(result).then(
          (v) => this.end(agent, ['ok', v]),
          (err: unknown) => this.end(agent, ['exit', err]),
        );
      }),
    );
    return agent.ref;
  }

  /** Adds `child` to the links of a local agent, when it was spawned on another node. */
  linkTo(parent: AgentRef, child: AgentRef): void {
    const agent = this.local(parent);
    if (agent && agent !== this.root) addRef(agent.links, child);
  }

  /**
   * Attaches the calling agent to `target` after spawning, as `spawn`'s `attach` does: a
   * 'link' goes both ways, a 'monitor' gets `target`'s notice. Linking twice is linking once.
   * When `target` has already ended, the notice comes at once: `[target, 'exit', 'noproc']`
   * (so a 'link' ends the caller), as Erlang does.
   */
  link(target: AgentRef | string, mode: AttachMode = 'link'): void {
    if (mode !== 'link' && mode !== 'monitor')
      throw crewError(ErrorCodes.BadArgument, `link mode must be 'link' or 'monitor', got ${inspect(mode)}`);
    const me = this.caller('link');
    const to = this.resolve(target);
    if (sameAgent(to, me.ref)) throw crewError(ErrorCodes.BadArgument, `agent ${agentName(to)} cannot link to itself`);
    // The master's top level never ends, so nobody needs to hear from it.
    if (mode === 'link' && me !== this.root) addRef(me.links, to);
    if (this.isLocal(to)) this.attach(to, me.ref, mode);
    else this.out({ op: 'link', from: me.ref, to, mode });
  }

  /**
   * Undoes `link` and `spawn`'s `attach` between the calling agent and `target`: the link
   * either way, and the caller's monitor of `target`. A notice already sent is not recalled.
   */
  unlink(target: AgentRef | string): void {
    const me = this.caller('unlink');
    const to = this.resolve(target);
    if (sameAgent(to, me.ref))
      throw crewError(ErrorCodes.BadArgument, `agent ${agentName(to)} cannot unlink from itself`);
    removeRef(me.links, to);
    if (this.isLocal(to)) this.detach(to, me.ref);
    else this.out({ op: 'unlink', from: me.ref, to });
  }

  private caller(fn: string): Agent {
    const me = this.current();
    if (!me)
      throw crewError(ErrorCodes.BadArgument, `${fn}() is only available inside an agent; start one with spawn()`);
    return me;
  }

  /** `from` attaches to the local agent `to`; if `to` has ended, `from` hears so at once. */
  private attach(to: AgentRef, from: AgentRef, mode: AttachMode): void {
    const agent = this.local(to);
    if (!agent) {
      const notice: ExitNotice = [to, 'exit', NOPROC];
      if (mode === 'link') this.exit(from, notice);
      else this.notify(from, notice);
      return;
    }
    // The master's top level never ends: nobody needs to hear from it.
    if (agent !== this.root) addRef(mode === 'link' ? agent.links : agent.monitors, from);
  }

  private detach(to: AgentRef, from: AgentRef): void {
    const agent = this.local(to);
    if (!agent || agent === this.root) return;
    removeRef(agent.links, from);
    removeRef(agent.monitors, from);
  }

  /** An agent ends: its names go, linked agents end with its notice, monitors get the notice. */
  private end(agent: Agent, [status, value]: ['ok' | 'exit', unknown]): void {
    if (agent.ended || agent === this.root) return;
    agent.ended = { reason: value };
    this.agents.delete(agent.ref.agent);
    agent.mailbox.close(
      crewError(ErrorCodes.AgentExit, `agent ${agentName(agent.ref)} was ended: ${describe(value)}`, { reason: value }),
    );
    for (const name of agent.names) this.unregister(name, agent.ref);
    const notice = [agent.ref, status, value] as ExitNotice;
    for (const to of agent.links) this.exit(to, notice);
    for (const to of agent.monitors) this.notify(to, notice);
  }

  /** Ends an agent anywhere; the master's top level is never ended, it gets the reason as a notice. */
  exit(to: AgentRef, reason: unknown): void {
    const agent = this.local(to);
    if (agent === this.root && agent) agent.mailbox.put(reason, true);
    else if (agent) this.end(agent, ['exit', reason]);
    else if (!this.isLocal(to)) this.out({ op: 'exit', to, reason: encodeSafely(reason) });
  }

  notify(to: AgentRef, notice: ExitNotice): void {
    if (this.isLocal(to)) this.local(to)?.mailbox.put(notice, true);
    else this.out({ op: 'notice', to, notice: encodeSafely(notice) });
  }

  /** Sends to an agent by reference or registered name. Messages to ended agents are dropped. */
  send(target: AgentRef | string, message: unknown): void {
    const to = this.resolve(target);
    if (this.isLocal(to)) this.local(to)?.mailbox.put(message, false);
    else this.out({ op: 'deliver', to, message: encodeValue(message, 'message') });
  }

  /** The next message of the calling agent; rejects with `CREW_TIMEOUT` after `timeout` ms. */
  receive(opts: { timeout?: number } = {}): Promise<unknown> {
    const agent = this.current();
    if (!agent)
      return Promise.reject(
        crewError(ErrorCodes.BadArgument, 'receive() is only available inside an agent; start one with spawn()'),
      );
    const t = opts.timeout;
    if (t !== undefined && (typeof t !== 'number' || !(t >= 0)))
      return Promise.reject(
        crewError(ErrorCodes.BadArgument, `receive({ timeout }) needs a number of milliseconds >= 0, got ${String(t)}`),
      );
    return agent.mailbox.take(t);
  }

  /** The agent a reference or a registered name stands for. */
  resolve(target: AgentRef | string): AgentRef {
    return this.names.resolve(target);
  }

  register(name: string, ref: AgentRef = this.self()): void {
    const held = this.names.get(name);
    if (!(held && sameAgent(held, ref))) this.names.checkFree(name);
    if (!isAgentRef(ref)) throw crewError(ErrorCodes.UnknownAgent, `${inspect(ref)} is not an agent reference`);
    this.names.set(name, ref);
    this.local(ref)?.names.add(name);
    this.out({ op: 'register', name, ref });
  }

  /** Drops a name; with `ref`, only if the name still belongs to that agent. */
  unregister(name: string, ref?: AgentRef): void {
    const held = this.names.release(name, ref);
    if (held) this.out({ op: 'unregister', name, ref: held });
  }

  stats(): { received: number; dropped: number; queued: number; mailboxSize: number } {
    const a = this.current();
    if (!a) throw crewError(ErrorCodes.BadArgument, 'agentStats() is only available inside an agent');
    return a.mailbox.stats();
  }

  /** Operations from other nodes, arriving through the master. */
  handle(op: AgentOp): void {
    switch (op.op) {
      case 'node':
        this.node = op.node;
        this.pool = op.pool;
        if (op.ids) {
          this.ids = op.ids;
          if (Atomics.load(op.ids, 0) < this.nextId - 1) Atomics.store(op.ids, 0, this.nextId - 1);
        }
        return;
      case 'deliver':
        this.local(op.to)?.mailbox.put(decodeValue(op.message), false);
        return;
      case 'notice':
        this.local(op.to)?.mailbox.put(decodeValue(op.notice), true);
        return;
      case 'exit':
        if (this.isLocal(op.to)) this.exit(op.to, decodeValue(op.reason));
        return;
      case 'link':
        if (this.isLocal(op.to)) this.attach(op.to, op.from, op.mode);
        return;
      case 'unlink':
        if (this.isLocal(op.to)) this.detach(op.to, op.from);
        return;
      case 'names':
        this.names.replace(op.names);
        return;
      default:
        return;
    }
  }
}
