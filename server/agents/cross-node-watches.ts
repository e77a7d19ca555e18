/**
 * Links and monitors that cross nodes, kept by the master: the agents on other nodes each
 * watched agent is attached to. When a worker's eval thread is replaced, or the worker goes
 * away, its agents cannot send their own exit notices; the master sends them from here.
 */
import { sameAgent, type AgentRef, type AttachMode } from '../../protocol/messages/agent-messages';

const REMEMBERED = 10_000;

/** An agent that agents on other nodes are attached to. */
export interface Watched {
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
export class Watches {
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
