/**
 * One running agent and the lists of agents attached to it, and how the reason an agent
 * ended is carried to other nodes and told in errors.
 */
import { inspect } from 'node:util';
import { isAgentRef, sameAgent, type AgentRef } from '../../protocol/messages/agent-messages';
import { encodeValue } from '../../protocol/codec/codec';
import type { Mailbox } from './mailbox';

/** One running agent: its mailbox, the agents attached to it, and the names it holds. */
export class Agent {
  readonly links: AgentRef[] = [];
  readonly monitors: AgentRef[] = [];
  readonly names = new Set<string>();
  ended?: { reason: unknown };

  constructor(
    readonly ref: AgentRef,
    readonly mailbox: Mailbox,
  ) {}
}

/** Adds `ref` to a list of attached agents, once. */
export function addRef(list: AgentRef[], ref: AgentRef): void {
  if (!list.some((r) => sameAgent(r, ref))) list.push(ref);
}

/** Removes `ref` from a list of attached agents. */
export function removeRef(list: AgentRef[], ref: AgentRef): void {
  const i = list.findIndex((r) => sameAgent(r, ref));
  if (i >= 0) list.splice(i, 1);
}

/** Encodes a reason or notice; what cannot travel is replaced by a description of it. */
export function encodeSafely(value: unknown): Uint8Array {
  try {
    return encodeValue(value, 'reason');
  } catch (err) {
    if (Array.isArray(value) && value.length === 3 && isAgentRef(value[0]))
      return encodeValue([value[0], 'exit', `its result could not be sent: ${(err as Error).message}`]);
    return encodeValue(`the reason could not be sent: ${(err as Error).message}`);
  }
}

/** A reason as the error of an ended agent's mailbox tells it. */
export function describe(reason: unknown): string {
  if (reason instanceof Error || (typeof reason === 'object' && reason !== null && 'message' in reason))
    return String((reason as Error).message);
  return inspect(reason, { depth: 2, breakLength: Infinity });
}
