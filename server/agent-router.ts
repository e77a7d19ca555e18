/**
 * The master's part in agents: it runs the master's own agents, keeps the registry of names,
 * and routes agent operations between workers over the links it already has. One router
 * per pool tells each worker its node id; the master's runtime is shared by all pools.
 */
import { randomBytes } from 'node:crypto';
import { agentName, isAgentRef, sameAgent, type AgentMsg, type AgentOp, type AgentRef, type AttachMode, type ExitNotice } from '../protocol/agents';
import { decodeValue } from '../protocol/codec';
import { AgentRuntime } from '../worker/agents';
import type { WorkerPool } from './pool';
import type { WorkerLink } from './worker-link';

interface Shared {
  runtime: AgentRuntime;
  routers: Map<string, AgentRouter>;
}

// One per process, even when a driver script loads its own copy of this library beside the
// CLI's: a message for the master must reach the mailbox the script reads.
const KEY = Symbol.for('crew.agents');

/** The master's agents and the routers of its pools. */
export function agentsShared(): Shared {
  const g = globalThis as { [KEY]?: Shared };
  if (!g[KEY]) {
    const shared = { routers: new Map<string, AgentRouter>() } as Shared;
    shared.runtime = new AgentRuntime((op) => fromMaster(shared, op), { node: 'master', root: true });
    g[KEY] = shared;
  }
  return g[KEY];
}

/** An operation made by an agent on the master, for some other node or for the registry. */
function fromMaster(shared: Shared, op: AgentOp): void {
  if (op.op === 'register' || op.op === 'unregister') return broadcastNames(shared);
  if (op.op === 'deliver' || op.op === 'notice' || op.op === 'exit') shared.routers.get(op.to.pool ?? '')?.forward(op.to.node, op);
}

function broadcastNames(shared: Shared): void {
  const names = [...shared.runtime.names];
  for (const router of shared.routers.values()) router.sendAll({ op: 'names', names });
}

const MAX_ENDED = 10_000;

export class AgentRouter {
  /** Tells this pool's workers apart from other pools' in agent references. */
  readonly token = randomBytes(6).toString('hex');
  private readonly greeted = new WeakSet<WorkerLink>();
  /** Agents on workers watched by agents on the master, by worker id, so a lost worker can be reported. */
  private readonly watched = new Map<string, Map<number, { ref: AgentRef; watcher: AgentRef; mode: AttachMode }>>();
  /** Agents recently seen to end, so that a late `watch` is not left waiting. */
  private readonly ended = new Set<string>();

  constructor(private readonly pool: WorkerPool) {
    pool.on('workers-changed', () => this.sync());
  }

  private get shared(): Shared {
    const shared = agentsShared();
    if (!shared.routers.has(this.token) && !this.pool.closed) shared.routers.set(this.token, this);
    return shared;
  }

  /** Greets new links with their node id and the names; reports agents on workers that are gone. */
  private sync(): void {
    const shared = this.shared;
    if (this.pool.closed) shared.routers.delete(this.token);
    const present = new Set<string>();
    for (const w of this.pool.workers) {
      present.add(w.id);
      const link = this.pool.link(w.id);
      if (!link || this.greeted.has(link)) continue;
      this.greeted.add(link);
      link.transport.send({ t: 'agent', op: 'node', node: link.id, pool: this.token });
      link.transport.send({ t: 'agent', op: 'names', names: [...shared.runtime.names] });
    }
    for (const [id, agents] of this.watched) {
      if (present.has(id) && !this.pool.closed) continue;
      this.watched.delete(id);
      for (const { ref, watcher, mode } of agents.values()) {
        const notice: ExitNotice = [ref, 'exit', `worker ${id} went away`];
        if (mode === 'link') shared.runtime.exit(watcher, notice);
        else shared.runtime.notify(watcher, notice);
      }
    }
    let dropped = false;
    for (const [name, ref] of shared.runtime.names) {
      if (ref.pool === this.token && (!present.has(ref.node) || this.pool.closed)) {
        shared.runtime.names.delete(name);
        dropped = true;
      }
    }
    if (dropped) broadcastNames(shared);
  }

  /** Remembers that an agent on the master watches an agent it spawned on a worker. */
  watch(ref: AgentRef, watcher: AgentRef, mode: AttachMode): void {
    if (this.ended.has(agentName(ref))) return;
    let agents = this.watched.get(ref.node);
    if (!agents) this.watched.set(ref.node, (agents = new Map()));
    agents.set(ref.agent, { ref, watcher, mode });
  }

  /** Sends an operation to the worker `node` of this pool; false if it is not connected. */
  forward(node: string, op: AgentOp): boolean {
    const link = this.pool.link(node);
    return !!link && link.transport.send({ t: 'agent', ...op });
  }

  sendAll(op: AgentOp): void {
    for (const w of this.pool.workers) this.pool.link(w.id)?.transport.send({ t: 'agent', ...op });
  }

  /** An agent operation from a worker. */
  handle(m: AgentMsg.Msg): void {
    const shared = this.shared;
    switch (m.op) {
      case 'notice':
      case 'exit':
      case 'deliver':
        if (m.op !== 'deliver') this.noteEnded(m.op === 'notice' ? m.notice : m.reason);
        if (m.to.node === 'master') shared.runtime.handle(m);
        else shared.routers.get(m.to.pool ?? '')?.forward(m.to.node, m);
        return;
      case 'register':
        // The first to register a name keeps it; the broadcast corrects the latecomer's copy.
        if (!shared.runtime.names.has(m.name)) shared.runtime.names.set(m.name, m.ref);
        return broadcastNames(shared);
      case 'unregister': {
        const held = shared.runtime.names.get(m.name);
        if (held && sameAgent(held, m.ref)) shared.runtime.names.delete(m.name);
        return broadcastNames(shared);
      }
      default:
        return;
    }
  }

  /** An exit notice or reason names the agent that ended: `[ref, status, value]`. */
  private noteEnded(bytes: Uint8Array): void {
    let notice: unknown;
    try {
      notice = decodeValue(bytes);
    } catch {
      return;
    }
    if (!Array.isArray(notice) || !isAgentRef(notice[0])) return;
    const ref = notice[0];
    this.watched.get(ref.node)?.delete(ref.agent);
    this.ended.add(agentName(ref));
    if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.values().next().value!);
  }
}
