/**
 * The master's own agents and the pools they can reach: the master's agent runtime (its
 * top level is agent 0, which never ends), the routers of the open pools by their token,
 * and the links and monitors that cross nodes. Operations the master's agents make for
 * other nodes, or for the registry of names, are handled here.
 */
import { NOPROC, type AgentOp, type AgentRef, type ExitNotice } from '../../protocol/messages/agent-messages';
import { AgentRuntime } from '../../worker/agents/agent-runtime';
import { Watches } from './cross-node-watches';

/** One pool's way to its workers' agents (its AgentRouter). */
export interface PoolRoute {
  /** Sends an operation to the pool's worker `node`; false if it is not connected. */
  forward(node: string, op: AgentOp): boolean;
  /** Sends an operation to every worker of the pool. */
  sendAll(op: AgentOp): void;
}

/** The master's agents, and the pools their operations are routed to. */
export class MasterAgents {
  readonly runtime: AgentRuntime;
  /** Links and monitors between nodes, told by the master when a node is lost. */
  readonly watches = new Watches();
  private readonly pools = new Map<string, PoolRoute>();

  constructor() {
    this.runtime = new AgentRuntime((op) => this.fromMaster(op), { node: 'master', root: true });
  }

  /** Lets agents reach the pool with `token`; again with `undefined` when it closes. */
  setPool(token: string, route: PoolRoute | undefined): void {
    if (route) this.pools.set(token, route);
    else this.pools.delete(token);
  }

  hasPool(token: string): boolean {
    return this.pools.has(token);
  }

  /** Hands an operation to the node of the agent it is for; false if that node is not there. */
  route(op: Extract<AgentOp, { to: AgentRef }>): boolean {
    if (op.to.node === 'master') {
      this.runtime.handle(op);
      return true;
    }
    return this.pools.get(op.to.pool ?? '')?.forward(op.to.node, op) ?? false;
  }

  /** A link or unlink between nodes: noted, then passed on; a link nobody can answer gets noproc. */
  attachment(op: Extract<AgentOp, { op: 'link' | 'unlink' }>): void {
    const { watches } = this;
    if (op.op === 'unlink') {
      watches.remove(op.to, op.from);
      watches.remove(op.from, op.to, 'link');
      this.route(op);
      return;
    }
    watches.add(op.to, op.from, op.mode);
    if (op.mode === 'link') watches.add(op.from, op.to, 'link');
    if (this.route(op)) return;
    watches.remove(op.to, op.from);
    watches.remove(op.from, op.to, 'link');
    const notice: ExitNotice = [op.to, 'exit', NOPROC];
    if (op.mode === 'link') this.runtime.exit(op.from, notice);
    else this.runtime.notify(op.from, notice);
  }

  /** Tells every worker of every pool the registry of names as it is now. */
  broadcastNames(): void {
    const names = this.runtime.names.list();
    for (const route of this.pools.values()) route.sendAll({ op: 'names', names });
  }

  /** An operation made by an agent on the master, for some other node or for the registry. */
  private fromMaster(op: AgentOp): void {
    switch (op.op) {
      case 'register':
      case 'unregister':
        return this.broadcastNames();
      case 'link':
      case 'unlink':
        return this.attachment(op);
      case 'deliver':
      case 'notice':
      case 'exit':
        this.route(op);
        return;
      default:
        return;
    }
  }
}

// A process-wide singleton, on purpose: `send`, `receive` and `self` take no pool, so the
// master's agents cannot be found through one, and a driver script run by `crew run` loads
// its own copy of this library (dist/index.js) beside the CLI's (dist/cli.js). A message for
// the master must reach the one mailbox the script reads, whichever copy made the pool, so
// the object lives on globalThis under a registered symbol rather than in a module variable.
const KEY = Symbol.for('crew.agents');

/** The master's agents in this process, shared by every pool and every copy of Crew loaded. */
export function masterAgents(): MasterAgents {
  const g = globalThis as { [KEY]?: MasterAgents };
  return (g[KEY] ??= new MasterAgents());
}
