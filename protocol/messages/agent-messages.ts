/**
 * Agents, after Erlangen: async functions with a bounded mailbox that pass messages to each
 * other, on the master and on any worker. Agents on different workers talk through the
 * master, over the links it already has. These are the messages for that, declared once
 * and used by the worker's eval thread, the worker's main thread and the master.
 */
import {
  arrayOf,
  bytes,
  int,
  int32s,
  intFrom,
  oneOf,
  optional,
  shape,
  str,
  tuple,
  variant,
  type Infer,
} from './field-checks';
import { message, type MessageOf } from './link-message';

/**
 * A reference to an agent. Plain data: it can be sent inside messages, stored, compared.
 * `node` is `master` or the worker's id in the pool (`w1`); `pool` tells pools apart when a
 * master has several.
 */
export const agentRef = shape({ agent: int, node: str, pool: optional(str) });
export type AgentRef = Infer<typeof agentRef>;

/** How an agent is attached to another: by spawning it with `attach`, or with `link`. */
const attachMode = oneOf('link', 'monitor');
export type AttachMode = Infer<typeof attachMode>;

/**
 * What attached agents receive when an agent ends: `[ref, 'ok', value]` when its function
 * returned, `[ref, 'exit', reason]` when it threw or was ended.
 */
export type ExitNotice =
  [ref: AgentRef, status: 'ok', value: unknown] | [ref: AgentRef, status: 'exit', reason: unknown];

/** How to start an agent, sent with the task that spawns it on a worker. */
export const agentSpawnSpec = shape({
  /** The spawning agent, and how it is attached. */
  attach: optional(shape({ to: agentRef, mode: attachMode })),
  /** Register the new agent under this name. */
  name: optional(str),
  /** Largest number of messages waiting in its mailbox (default {@link DEFAULT_MAILBOX_SIZE}). */
  mailboxSize: optional(intFrom(1)),
});
export type AgentSpawnSpec = Infer<typeof agentSpawnSpec>;

/** The reason in the notice for an agent that had already ended when it was linked to, as in Erlang. */
export const NOPROC = 'noproc';

/** Erlangen's default is 64; JavaScript agents tend to be fed in bursts, so a little more. */
export const DEFAULT_MAILBOX_SIZE = 1000;

/** One agent operation, as it travels between eval thread, worker and master: each by its `op`. */
export const agentOp = variant('op', {
  /**
   * master -> worker: the worker's id in the pool, for the references its agents hand out.
   * The worker's main thread adds `ids` for its eval thread: a counter shared by every eval
   * thread the worker runs, so a fresh thread never hands out the number of an agent of the
   * thread it replaced, and a reference kept from before cannot reach a newer agent.
   */
  node: { node: str, pool: str, ids: optional(int32s) },
  /** any way: a message for an agent (encoded with `encodeValue`). */
  deliver: { to: agentRef, message: bytes },
  /** any way: an exit notice for a monitoring agent; it skips the mailbox bound. */
  notice: { to: agentRef, notice: bytes },
  /** any way: end an agent with a reason (a link ended, or `exitAgent`). */
  exit: { to: agentRef, reason: bytes },
  /**
   * any way: `from` attaches itself to `to` after spawning, as `spawn`'s `attach` does. When
   * `to` has already ended, its node answers with the notice `[to, 'exit', 'noproc']`.
   */
  link: { from: agentRef, to: agentRef, mode: attachMode },
  /** any way: `from` is no longer linked to, nor monitors, `to`. */
  unlink: { from: agentRef, to: agentRef },
  /**
   * worker -> master: the worker's eval thread was replaced (interrupted, or it died) and
   * every agent in it has ended; the master tells their links and monitors on other nodes.
   */
  down: { node: str, pool: str, reason: str },
  /** worker -> master: register a name, or drop it if it still names `ref`. */
  register: { name: str, ref: agentRef },
  unregister: { name: str, ref: agentRef },
  /** master -> worker: every registered name, after each change. */
  names: { names: arrayOf(tuple(str, agentRef)) },
});
export type AgentOp = Infer<typeof agentOp>;

export namespace AgentMsg {
  /** either way: one agent operation. */
  export const type = message('agent', 'both', agentOp);
  export type Msg = MessageOf<typeof type>;
}

/** Checks that a value is an agent reference, e.g. one that came back inside a message. */
export function isAgentRef(x: unknown): x is AgentRef {
  return agentRef(x, 'ref') === undefined;
}

/** True when both references name the same agent. */
export function sameAgent(a: AgentRef, b: AgentRef): boolean {
  return a.agent === b.agent && a.node === b.node && (a.node === 'master' || (a.pool ?? '') === (b.pool ?? ''));
}

/** `w1#3`: how agents are named in errors and exit reasons. */
export function agentName(r: AgentRef): string {
  return `${r.node}#${r.agent}`;
}

/** Checks the shape of an agent message from the wire, so handlers can trust its fields. */
export function isAgentMsg(m: unknown): m is AgentMsg.Msg {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'agent' && agentOp(m, '') === undefined;
}
