/**
 * Registered agent names as one node knows them. On the master this is the registry every
 * node follows; on a worker it is the copy the master sends after each change.
 */
import { inspect } from 'node:util';
import { agentName, isAgentRef, sameAgent, type AgentRef } from '../../protocol/messages/agent-messages';
import { crewError, ErrorCodes } from '../../protocol/errors';

/** Names and the agents that hold them. */
export class AgentNames {
  private byName = new Map<string, AgentRef>();

  /** The agent registered as `name`, if any. */
  get(name: string): AgentRef | undefined {
    return this.byName.get(name);
  }

  /** `target` itself when it is a reference, or the agent registered under it. */
  resolve(target: AgentRef | string): AgentRef {
    if (typeof target === 'string') {
      const ref = this.byName.get(target);
      if (!ref) throw crewError(ErrorCodes.UnknownAgent, `no agent is registered as "${target}"`);
      return ref;
    }
    if (!isAgentRef(target))
      throw crewError(ErrorCodes.UnknownAgent, `${inspect(target)} is not an agent reference or a registered name`);
    return target;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Every name with its agent, in the form the master sends to the nodes. */
  list(): [string, AgentRef][] {
    return [...this.byName];
  }

  /** Throws unless `name` is a non-empty string that no agent holds. */
  checkFree(name: unknown): asserts name is string {
    if (typeof name !== 'string' || name === '')
      throw crewError(ErrorCodes.BadArgument, `an agent name must be a non-empty string, got ${inspect(name)}`);
    const held = this.byName.get(name);
    if (held) throw crewError(ErrorCodes.BadArgument, `the name "${name}" is already registered to ${agentName(held)}`);
  }

  set(name: string, ref: AgentRef): void {
    this.byName.set(name, ref);
  }

  /** Gives `name` to `ref` unless it is taken: the first to register a name keeps it. */
  claim(name: string, ref: AgentRef): boolean {
    if (this.byName.has(name)) return false;
    this.byName.set(name, ref);
    return true;
  }

  /** Drops `name`; with `ref`, only while that agent holds it. Returns the agent that held it. */
  release(name: string, ref?: AgentRef): AgentRef | undefined {
    const held = this.byName.get(name);
    if (!held || (ref && !sameAgent(held, ref))) return undefined;
    this.byName.delete(name);
    return held;
  }

  /** Drops every name whose agent `lost` picks; true if any went. */
  dropWhere(lost: (ref: AgentRef) => boolean): boolean {
    let dropped = false;
    for (const [name, ref] of this.byName)
      if (lost(ref)) {
        this.byName.delete(name);
        dropped = true;
      }
    return dropped;
  }

  /** Takes the master's list in place of this copy. */
  replace(names: readonly (readonly [string, AgentRef])[]): void {
    this.byName = new Map(names);
  }
}
