/**
 * The master's part in agents: it runs the master's own agents, keeps the registry of names,
 * and routes agent operations between workers over the links it already has. One router
 * per pool tells each worker its node id; the master's runtime is shared by all pools.
 *
 * Every link and monitor between nodes passes through here, so the master also keeps them:
 * when a worker's eval thread is replaced, or the worker goes away, its agents cannot send
 * their own exit notices, and the master sends them instead.
 */
import { randomBytes } from 'node:crypto';
import {
  isAgentRef,
  NOPROC,
  sameAgent,
  type AgentMsg,
  type AgentOp,
  type AgentRef,
  type AttachMode,
  type ExitNotice,
} from '../../protocol/messages/agent-messages';
import { decodeValue } from '../../protocol/codec/codec';
import { AgentRuntime } from '../../worker/agents/agent-runtime';
import type { WorkerPool } from '../pool/pool';
import type { WorkerLink } from '../pool/worker-link';

interface Shared {
  runtime: AgentRuntime;
  routers: Map<string, AgentRouter>;
  watches: Watches;
}

// One per process, even when a driver script loads its own copy of this library beside the
// CLI's: a message for the master must reach the mailbox the script reads.
const KEY = Symbol.for('crew.agents');

/** The master's agents and the routers of its pools. */
export function agentsShared(): Shared {
  const g = globalThis as { [KEY]?: Shared };
  if (!g[KEY]) {
    const shared = { routers: new Map<string, AgentRouter>(), watches: new Watches() } as Shared;
    shared.runtime = new AgentRuntime((op) => fromMaster(shared, op), { node: 'master', root: true });
    g[KEY] = shared;
  }
  return g[KEY];
}

/** An operation made by an agent on the master, for some other node or for the registry. */
function fromMaster(shared: Shared, op: AgentOp): void {
  switch (op.op) {
    case 'register':
    case 'unregister':
      return broadcastNames(shared);
    case 'link':
    case 'unlink':
      return attachment(shared, op);
    case 'deliver':
    case 'notice':
    case 'exit':
      route(shared, op);
      return;
    default:
      return;
  }
}

/** Hands an operation to the node of the agent it is for; false if that node is not there. */
function route(shared: Shared, op: Extract<AgentOp, { to: AgentRef }>): boolean {
  if (op.to.node === 'master') {
    shared.runtime.handle(op);
    return true;
  }
  return shared.routers.get(op.to.pool ?? '')?.forward(op.to.node, op) ?? false;
}

/** A link or unlink between nodes: noted, then passed on; a link nobody can answer gets noproc. */
function attachment(shared: Shared, op: Extract<AgentOp, { op: 'link' | 'unlink' }>): void {
  if (op.op === 'unlink') {
    shared.watches.remove(op.to, op.from);
    shared.watches.remove(op.from, op.to, 'link');
    route(shared, op);
    return;
  }
  shared.watches.add(op.to, op.from, op.mode);
  if (op.mode === 'link') shared.watches.add(op.from, op.to, 'link');
  if (route(shared, op)) return;
  shared.watches.remove(op.to, op.from);
  shared.watches.remove(op.from, op.to, 'link');
  const notice: ExitNotice = [op.to, 'exit', NOPROC];
  if (op.mode === 'link') shared.runtime.exit(op.from, notice);
  else shared.runtime.notify(op.from, notice);
}

function broadcastNames(shared: Shared): void {
  const names = [...shared.runtime.names];
  for (const router of shared.routers.values()) router.sendAll({ op: 'names', names });
}

export class AgentRouter {
  /** Tells this pool's workers apart from other pools' in agent references. */
  readonly token = randomBytes(6).toString('hex');
  private readonly greeted = new WeakSet<WorkerLink>();

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
    for (const node of shared.watches.nodes(this.token)) {
      if (!present.has(node) || this.pool.closed) this.lost(node, `worker ${node} went away`);
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

  /**
   * Every agent of `node` has ended with `reason` without telling anyone: the agents linked
   * to them end and their monitors get `[ref, 'exit', reason]`, as for any other ending.
   */
  private lost(node: string, reason: string): void {
    const shared = this.shared;
    for (const { ref, by } of shared.watches.lose(this.token, node)) {
      const notice: ExitNotice = [ref, 'exit', reason];
      for (const w of by) {
        if (w.mode === 'link') shared.runtime.exit(w.ref, notice);
        else shared.runtime.notify(w.ref, notice);
      }
    }
  }

  /** Remembers that an agent on the master watches an agent it spawned on a worker. */
  watch(ref: AgentRef, watcher: AgentRef, mode: AttachMode): void {
    this.shared.watches.add(ref, watcher, mode);
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
      case 'exit': {
        // An exit notice, or the reason a link ends an agent, names the agent that ended.
        const notice = asNotice(m.op === 'notice' ? m.notice : m.reason);
        if (notice && !shared.watches.passing(notice[0], m.to, notice[2] === NOPROC)) return;
        route(shared, m);
        return;
      }
      case 'deliver':
        route(shared, m);
        return;
      case 'link':
      case 'unlink':
        return attachment(shared, m);
      case 'down': {
        if (m.pool !== this.token || !this.pool.link(m.node)) return;
        this.lost(m.node, `eval thread of ${m.node} restarted: ${m.reason}`);
        for (const [name, ref] of shared.runtime.names)
          if (ref.pool === this.token && ref.node === m.node) shared.runtime.names.delete(name);
        // Also the fresh thread's first copy of the names.
        return broadcastNames(shared);
      }
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

const REMEMBERED = 10_000;

interface Watched {
  ref: AgentRef;
  /** Agents on other nodes attached to it, and how. */
  by: { ref: AgentRef; mode: AttachMode }[];
}

/**
 * Links and monitors that cross nodes, keyed by the agent on a worker that others watch.
 * An agent that ends tells its attached agents itself, and its notices, passing through the
 * master, settle the entries here; what is left when its thread or worker is lost is told
 * by the master.
 */
class Watches {
  /** By `pool/node`, then by agent number. */
  private readonly byNode = new Map<string, Map<number, Watched>>();
  /** Agents seen to end, so that an attachment made after is not kept. */
  private readonly ended = new Set<string>();
  /**
   * `ended>watcher` pairs the master told when a thread was lost. A link that crossed the
   * loss on the way is answered with noproc by the fresh thread; that would be a second notice.
   */
  private readonly told = new Set<string>();

  add(target: AgentRef, watcher: AgentRef, mode: AttachMode): void {
    if (target.node === 'master' || sameNode(target, watcher)) return;
    if (this.ended.has(key(target))) {
      // Asked again after being told: the answer that comes now is a new one.
      this.told.delete(`${key(target)}>${key(watcher)}`);
      return;
    }
    const node = nodeKey(target);
    let agents = this.byNode.get(node);
    if (!agents) this.byNode.set(node, (agents = new Map()));
    let watched = agents.get(target.agent);
    if (!watched) agents.set(target.agent, (watched = { ref: target, by: [] }));
    if (!watched.by.some((w) => w.mode === mode && sameAgent(w.ref, watcher))) watched.by.push({ ref: watcher, mode });
  }

  /** Forgets `watcher`'s attachments to `target` (only the link, with `mode`). */
  remove(target: AgentRef, watcher: AgentRef, mode?: AttachMode): void {
    const agents = this.byNode.get(nodeKey(target));
    const watched = agents?.get(target.agent);
    if (!agents || !watched) return;
    watched.by = watched.by.filter((w) => !(sameAgent(w.ref, watcher) && (mode === undefined || w.mode === mode)));
    if (watched.by.length === 0) agents.delete(target.agent);
    if (agents.size === 0) this.byNode.delete(nodeKey(target));
  }

  /**
   * A notice about `ended` is on its way to `to`; false when it is a node's noproc answer
   * and `to` was told already.
   */
  passing(ended: AgentRef, to: AgentRef, noproc: boolean): boolean {
    if (noproc && this.told.delete(`${key(ended)}>${key(to)}`)) return false;
    remember(this.ended, key(ended));
    this.remove(ended, to);
    return true;
  }

  /** The worker ids of a pool that have watched agents. */
  nodes(pool: string): string[] {
    const prefix = `${pool}/`;
    return [...this.byNode.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  /** Takes every watched agent of a node that is lost, and forgets watchers that were on it. */
  lose(pool: string, node: string): Watched[] {
    const lost = [...(this.byNode.get(`${pool}/${node}`)?.values() ?? [])];
    this.byNode.delete(`${pool}/${node}`);
    for (const [k, agents] of this.byNode) {
      for (const [id, watched] of agents) {
        watched.by = watched.by.filter((w) => !(w.ref.node === node && (w.ref.pool ?? '') === pool));
        if (watched.by.length === 0) agents.delete(id);
      }
      if (agents.size === 0) this.byNode.delete(k);
    }
    for (const { ref, by } of lost) {
      remember(this.ended, key(ref));
      for (const w of by) remember(this.told, `${key(ref)}>${key(w.ref)}`);
    }
    return lost;
  }
}

function nodeKey(ref: AgentRef): string {
  return ref.node === 'master' ? 'master' : `${ref.pool ?? ''}/${ref.node}`;
}

function key(ref: AgentRef): string {
  return `${nodeKey(ref)}#${ref.agent}`;
}

function sameNode(a: AgentRef, b: AgentRef): boolean {
  return nodeKey(a) === nodeKey(b);
}

/** Adds to a set that keeps only the latest entries. */
function remember(set: Set<string>, k: string): void {
  set.delete(k);
  set.add(k);
  if (set.size > REMEMBERED) set.delete(set.values().next().value!);
}
