/**
 * A pool's part in agents: it tells each of its workers its node id and the registered
 * names, routes agent operations from its workers to the node they are for, and tells the
 * watchers of agents on a worker whose eval thread or connection is lost. The master's own
 * agents, and the links and monitors between nodes, are the MasterAgents it is given.
 */
import { randomBytes } from 'node:crypto';
import {
  isAgentRef,
  NOPROC,
  type AgentMsg,
  type AgentOp,
  type AgentRef,
  type AttachMode,
  type ExitNotice,
} from '../../protocol/messages/agent-messages';
import { decodeValue } from '../../protocol/codec/codec';
import type { MasterAgents, PoolRoute } from './master-agents';

/** A worker's connection as the router sees it (WorkerLink is one); a reconnect is a new one. */
export interface AgentNode {
  /** The worker's id in the pool, `w1`. */
  readonly id: string;
  readonly transport: {
    /** False when the connection is gone. */
    send(message: AgentMsg.Msg): boolean;
  };
}

/** What the router needs of its pool (WorkerPool is one). */
export interface AgentPool {
  /** A closed pool's agents are gone. */
  readonly closed: boolean;
  /** The connections of the workers in the pool now. */
  nodes(): Iterable<AgentNode>;
  /** The connection of worker `id`, if it is in the pool. */
  node(id: string): AgentNode | undefined;
}

/** One pool's agent routing; the pool calls `sync` whenever its list of workers changes. */
export class AgentRouter implements PoolRoute {
  /** Tells this pool's workers apart from other pools' in agent references. */
  readonly token = randomBytes(6).toString('hex');
  private readonly greeted = new WeakSet<AgentNode>();

  constructor(
    private readonly pool: AgentPool,
    private readonly master: MasterAgents,
  ) {}

  /** The master's agents, with this pool reachable from them while it is open. */
  private get agents(): MasterAgents {
    if (!this.pool.closed && !this.master.hasPool(this.token)) this.master.setPool(this.token, this);
    return this.master;
  }

  /**
   * The list of workers changed: greets new connections with their node id and the names,
   * and reports the agents of workers that are gone.
   */
  sync(): void {
    const agents = this.agents;
    const { runtime, watches } = agents;
    if (this.pool.closed) agents.setPool(this.token, undefined);
    const present = new Set<string>();
    for (const node of this.pool.nodes()) {
      present.add(node.id);
      if (this.greeted.has(node)) continue;
      this.greeted.add(node);
      node.transport.send({ t: 'agent', op: 'node', node: node.id, pool: this.token });
      node.transport.send({ t: 'agent', op: 'names', names: runtime.names.list() });
    }
    for (const node of watches.nodes(this.token)) {
      if (!present.has(node) || this.pool.closed) this.lost(node, `worker ${node} went away`);
    }
    const gone = (ref: AgentRef) => ref.pool === this.token && (!present.has(ref.node) || this.pool.closed);
    if (runtime.names.dropWhere(gone)) agents.broadcastNames();
  }

  /**
   * Every agent of `node` has ended with `reason` without telling anyone: the agents linked
   * to them end and their monitors get `[ref, 'exit', reason]`, as for any other ending.
   */
  private lost(node: string, reason: string): void {
    const { runtime, watches } = this.agents;
    for (const { ref, by } of watches.lose(this.token, node)) {
      const notice: ExitNotice = [ref, 'exit', reason];
      for (const w of by) {
        if (w.mode === 'link') runtime.exit(w.ref, notice);
        else runtime.notify(w.ref, notice);
      }
    }
  }

  /** Remembers that an agent on the master watches an agent it spawned on a worker. */
  watch(ref: AgentRef, watcher: AgentRef, mode: AttachMode): void {
    this.agents.watches.add(ref, watcher, mode);
  }

  /** Sends an operation to the worker `node` of this pool; false if it is not connected. */
  forward(node: string, op: AgentOp): boolean {
    const link = this.pool.node(node);
    return !!link && link.transport.send({ t: 'agent', ...op });
  }

  sendAll(op: AgentOp): void {
    for (const node of this.pool.nodes()) node.transport.send({ t: 'agent', ...op });
  }

  /** An agent operation from a worker. */
  handle(m: AgentMsg.Msg): void {
    const agents = this.agents;
    const { runtime, watches } = agents;
    switch (m.op) {
      case 'notice':
      case 'exit': {
        // An exit notice, or the reason a link ends an agent, names the agent that ended.
        const notice = asNotice(m.op === 'notice' ? m.notice : m.reason);
        if (notice && !watches.passing(notice[0], m.to, notice[2] === NOPROC)) return;
        agents.route(m);
        return;
      }
      case 'deliver':
        agents.route(m);
        return;
      case 'link':
      case 'unlink':
        return agents.attachment(m);
      case 'down': {
        if (m.pool !== this.token || !this.pool.node(m.node)) return;
        this.lost(m.node, `eval thread of ${m.node} restarted: ${m.reason}`);
        runtime.names.dropWhere((ref) => ref.pool === this.token && ref.node === m.node);
        // Also the fresh thread's first copy of the names.
        return agents.broadcastNames();
      }
      case 'register':
        // The first to register a name keeps it; the broadcast corrects the latecomer's copy.
        runtime.names.claim(m.name, m.ref);
        return agents.broadcastNames();
      case 'unregister':
        runtime.names.release(m.name, m.ref);
        return agents.broadcastNames();
      default:
        return;
    }
  }
}

/** The notice `[ref, status, value]` these bytes hold, if they hold one. */
function asNotice(bytes: Uint8Array): ExitNotice | undefined {
  let notice: unknown;
  try {
    notice = decodeValue(bytes);
  } catch {
    return undefined;
  }
  return Array.isArray(notice) &&
    notice.length === 3 &&
    isAgentRef(notice[0]) &&
    (notice[1] === 'ok' || notice[1] === 'exit')
    ? (notice as ExitNotice)
    : undefined;
}
