/**
 * Agents, after Erlangen: async functions with a bounded mailbox that pass messages to each
 * other, on the master and on any worker. Agents on different workers talk through the
 * master, over the links it already has. These are the messages for that, declared once
 * and used by the worker's eval thread, the worker's main thread and the master.
 */

/**
 * A reference to an agent. Plain data: it can be sent inside messages, stored, compared.
 * `node` is `master` or the worker's id in the pool (`w1`); `pool` tells pools apart when a
 * master has several.
 */
export interface AgentRef {
  agent: number;
  node: string;
  pool?: string;
}

/** How an agent is attached to another: by spawning it with `attach`, or with `link`. */
export type AttachMode = 'link' | 'monitor';

/**
 * What attached agents receive when an agent ends: `[ref, 'ok', value]` when its function
 * returned, `[ref, 'exit', reason]` when it threw or was ended.
 */
export type ExitNotice =
  [ref: AgentRef, status: 'ok', value: unknown] | [ref: AgentRef, status: 'exit', reason: unknown];

/** How to start an agent, sent with the task that spawns it on a worker. */
export interface AgentSpawnSpec {
  /** The spawning agent, and how it is attached. */
  attach?: { to: AgentRef; mode: AttachMode };
  /** Register the new agent under this name. */
  name?: string;
  /** Largest number of messages waiting in its mailbox (default {@link DEFAULT_MAILBOX_SIZE}). */
  mailboxSize?: number;
}

/** The reason in the notice for an agent that had already ended when it was linked to, as in Erlang. */
export const NOPROC = 'noproc';

/** Erlangen's default is 64; JavaScript agents tend to be fed in bursts, so a little more. */
export const DEFAULT_MAILBOX_SIZE = 1000;

/** One agent operation, as it travels between eval thread, worker and master. */
export type AgentOp =
  /**
   * master -> worker: the worker's id in the pool, for the references its agents hand out.
   * The worker's main thread adds `ids` for its eval thread: a counter shared by every eval
   * thread the worker runs, so a fresh thread never hands out the number of an agent of the
   * thread it replaced, and a reference kept from before cannot reach a newer agent.
   */
  | { op: 'node'; node: string; pool: string; ids?: Int32Array }
  /** any way: a message for an agent (encoded with `encodeValue`). */
  | { op: 'deliver'; to: AgentRef; message: Uint8Array }
  /** any way: an exit notice for a monitoring agent; it skips the mailbox bound. */
  | { op: 'notice'; to: AgentRef; notice: Uint8Array }
  /** any way: end an agent with a reason (a link ended, or `exitAgent`). */
  | { op: 'exit'; to: AgentRef; reason: Uint8Array }
  /**
   * any way: `from` attaches itself to `to` after spawning, as `spawn`'s `attach` does. When
   * `to` has already ended, its node answers with the notice `[to, 'exit', 'noproc']`.
   */
  | { op: 'link'; from: AgentRef; to: AgentRef; mode: AttachMode }
  /** any way: `from` is no longer linked to, nor monitors, `to`. */
  | { op: 'unlink'; from: AgentRef; to: AgentRef }
  /**
   * worker -> master: the worker's eval thread was replaced (interrupted, or it died) and
   * every agent in it has ended; the master tells their links and monitors on other nodes.
   */
  | { op: 'down'; node: string; pool: string; reason: string }
  /** worker -> master: register a name, or drop it if it still names `ref`. */
  | { op: 'register'; name: string; ref: AgentRef }
  | { op: 'unregister'; name: string; ref: AgentRef }
  /** master -> worker: every registered name, after each change. */
  | { op: 'names'; names: [string, AgentRef][] };

export namespace AgentMsg {
  export type Msg = { t: 'agent' } & AgentOp;
}

/** Checks that a value is an agent reference, e.g. one that came back inside a message. */
export function isAgentRef(x: unknown): x is AgentRef {
  const r = x as Partial<AgentRef> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isInteger(r.agent) &&
    typeof r.node === 'string' &&
    (r.pool === undefined || typeof r.pool === 'string')
  );
}

/** True when both references name the same agent. */
export function sameAgent(a: AgentRef, b: AgentRef): boolean {
  return a.agent === b.agent && a.node === b.node && (a.node === 'master' || (a.pool ?? '') === (b.pool ?? ''));
}

/** `w1#3`: how agents are named in errors and exit reasons. */
export function agentName(r: AgentRef): string {
  return `${r.node}#${r.agent}`;
}

export function isAgentSpawnSpec(x: unknown): x is AgentSpawnSpec {
  const s = x as Partial<AgentSpawnSpec> | null;
  if (typeof s !== 'object' || s === null) return false;
  if (
    s.attach !== undefined &&
    !(isAgentRef(s.attach?.to) && (s.attach.mode === 'link' || s.attach.mode === 'monitor'))
  )
    return false;
  if (s.name !== undefined && typeof s.name !== 'string') return false;
  return s.mailboxSize === undefined || (Number.isInteger(s.mailboxSize) && s.mailboxSize >= 1);
}

/** Checks the shape of an agent message from the wire, so handlers can trust its fields. */
export function isAgentMsg(m: unknown): m is AgentMsg.Msg {
  const x = m as Partial<Record<string, unknown>> | null;
  if (typeof x !== 'object' || x === null || x.t !== 'agent') return false;
  switch (x.op) {
    case 'node':
      return (
        typeof x.node === 'string' && typeof x.pool === 'string' && (x.ids === undefined || x.ids instanceof Int32Array)
      );
    case 'deliver':
      return isAgentRef(x.to) && x.message instanceof Uint8Array;
    case 'notice':
      return isAgentRef(x.to) && x.notice instanceof Uint8Array;
    case 'exit':
      return isAgentRef(x.to) && x.reason instanceof Uint8Array;
    case 'link':
      return isAgentRef(x.from) && isAgentRef(x.to) && (x.mode === 'link' || x.mode === 'monitor');
    case 'unlink':
      return isAgentRef(x.from) && isAgentRef(x.to);
    case 'down':
      return typeof x.node === 'string' && typeof x.pool === 'string' && typeof x.reason === 'string';
    case 'register':
    case 'unregister':
      return typeof x.name === 'string' && isAgentRef(x.ref);
    case 'names':
      return (
        Array.isArray(x.names) && x.names.every((e) => Array.isArray(e) && typeof e[0] === 'string' && isAgentRef(e[1]))
      );
    default:
      return false;
  }
}
