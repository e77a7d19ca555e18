/**
 * Erlangen's agents in Crew's API: `spawn` starts an async function with a mailbox on a
 * worker or on the master; `send`, `receive` and `self` work the same everywhere; an agent
 * that ends sends `[ref, 'ok', value]` or `[ref, 'exit', reason]` to the agents attached to
 * it, and a 'link' ends the linked agent too. Code on the master outside any agent acts as
 * an agent that never ends, so it can receive replies and exit notices.
 */
import { findWorker, type WorkerRef } from '../pool/worker-ref';
import { DEFAULT_MAILBOX_SIZE, type AgentRef, type AttachMode } from '../../protocol/messages/agent-messages';
import { encodeValue } from '../../protocol/codec/codec';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { agentGlobals } from '../../worker/agents/agent-globals';
import { masterAgents } from './master-agents';
import type { PoolArg } from '../api/swank-crew';
import { isCallForm, type Form, type FormSource } from '../api/form';
import { masterImage } from '../api/master-image';

export type { AgentRef, AttachMode, ExitNotice } from '../../protocol/messages/agent-messages';
export { DEFAULT_MAILBOX_SIZE };

export interface SpawnOptions {
  /** The worker to start on (id or name); `master` for the master. By default whichever worker is free. */
  worker?: WorkerRef | null;
  /** Attach the new agent to the calling one: both get exit notices; a 'link' ends the other too. */
  attach?: AttachMode;
  /** Register the agent under this name; it is dropped when the agent ends. */
  name?: string;
  /** Messages that can wait in its mailbox; more are dropped and counted (default 1000). */
  mailboxSize?: number;
}

/** An agent's body: an (async) function. On a worker only its text travels, not its closure. */
export type AgentFunction = (...args: never[]) => unknown;

/**
 * Starts an agent and resolves to its reference once it is running. `agent` is a function,
 * `form(fn, ...args)`, or source text that evaluates to a function. A null or empty pool,
 * or `worker: 'master'`, starts it on the master, where a function keeps its closure.
 */
export async function spawn(pool: PoolArg, agent: AgentFunction | Form, opts: SpawnOptions = {}): Promise<AgentRef> {
  const { runtime } = masterAgents();
  if (opts.attach !== undefined && opts.attach !== 'link' && opts.attach !== 'monitor') {
    throw crewError(ErrorCodes.BadArgument, `attach must be 'link' or 'monitor', got ${String(opts.attach)}`);
  }
  if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name === ''))
    throw crewError(ErrorCodes.BadArgument, 'an agent name must be a non-empty string');
  if (opts.name !== undefined && runtime.names.has(opts.name))
    throw crewError(ErrorCodes.BadArgument, `the name "${opts.name}" is already registered`);
  const mailboxSize = opts.mailboxSize ?? DEFAULT_MAILBOX_SIZE;
  if (!Number.isInteger(mailboxSize) || mailboxSize < 1)
    throw crewError(ErrorCodes.BadArgument, `mailboxSize must be a whole number >= 1, got ${String(opts.mailboxSize)}`);
  const parent = runtime.self();
  const spec = { attach: opts.attach ? { to: parent, mode: opts.attach } : undefined, name: opts.name, mailboxSize };
  if (pool?.closed) throw crewError(ErrorCodes.PoolClosed, 'the pool is disconnected');

  if (!pool || pool.evaluatesOnMaster || opts.worker === 'master') {
    if (typeof agent === 'function') return runtime.start(agent, [], spec);
    // An agent's functions, where the image lacks them: under a REPL or an editor the API's
    // own are there already (the same runtime's), and `spawn` takes a pool there.
    masterImage().provide({ ...agentGlobals(runtime) });
    const fn = await masterImage().evalForm(sourceOf(agent), 'value');
    return runtime.start(fn, isCallForm(agent) ? [...agent.args] : [], spec);
  }

  const target = opts.worker ? findWorker(pool, opts.worker) : undefined;
  const { def } = await pool.forms.prepare(sourceOf(agent), 'value');
  const args = isCallForm(agent) && agent.args.length > 0 ? encodeValue(agent.args, 'arguments') : undefined;
  return new Promise<AgentRef>((resolve, reject) => {
    pool.submit({ def, args, target, agent: spec }, (o) => {
      if (!o.ok) return reject(o.error);
      const ref = o.value as AgentRef;
      // Noted now, before anything that came after the answer from the worker is handled:
      // the loss of the agent's eval thread may be next.
      if (opts.attach) {
        // Links go both ways: when the spawning agent ends, the new one ends too.
        if (opts.attach === 'link') runtime.linkTo(parent, ref);
        pool.agents.watch(ref, parent, opts.attach);
      }
      resolve(ref);
    });
  });
}

/** The code of an agent as a form that evaluates to its function. */
function sourceOf(agent: AgentFunction | Form): Form {
  if (typeof agent === 'function')
    return {
      code: `(${agent.toString()})`,
      filename: `agent:${agent.name || 'anonymous'}`,
      lang: 'js',
    } satisfies FormSource;
  if (isCallForm(agent)) return { code: `(${agent.code})`, filename: agent.filename, lang: 'js' } satisfies FormSource;
  return agent;
}

/**
 * Sends `message` to an agent, by reference or registered name. Delivery is asynchronous and
 * never fails once sent: a message for an agent that has ended, or whose mailbox is full, is
 * dropped. An unknown name or a value that cannot cross the wire throws at once.
 */
export function send(to: AgentRef | string, message: unknown): void {
  masterAgents().runtime.send(to, message);
}

/** The calling agent's next message (on the master outside agents: the master's own mailbox). */
export function receive(opts: { timeout?: number } = {}): Promise<unknown> {
  return masterAgents().runtime.receive(opts);
}

/** The calling agent's reference (on the master outside agents: `{ agent: 0, node: 'master' }`). */
export function self(): AgentRef {
  return masterAgents().runtime.self();
}

/** Ends an agent with `reason`, as Erlangen's `exit`: its attached agents are told, linked ones end too. */
export function exitAgent(to: AgentRef | string, reason: unknown = 'exit'): void {
  const { runtime } = masterAgents();
  runtime.exit(runtime.resolve(to), reason);
}

/**
 * Attaches the calling agent (on the master outside agents: the top level) to an agent
 * anywhere, as Erlangen's `link`, with the same notices as `spawn`'s `attach`: a 'link'
 * (the default) goes both ways and ends the other agent too, a 'monitor' gets
 * `[ref, 'exit', reason]` or `[ref, 'ok', value]` when `ref` ends. Linking twice is linking
 * once. When `ref` has already ended, the notice is `[ref, 'exit', 'noproc']`, at once.
 */
export function link(ref: AgentRef | string, mode: AttachMode = 'link'): void {
  masterAgents().runtime.link(ref, mode);
}

/**
 * Undoes `link` or `spawn`'s `attach` between the calling agent and `ref`: the link either
 * way and the caller's monitor of `ref`. A notice already on its way still arrives.
 */
export function unlink(ref: AgentRef | string): void {
  masterAgents().runtime.unlink(ref);
}

/** Registers `ref` (by default the caller) under `name`, for every node of every pool. */
export function register(name: string, ref?: AgentRef): void {
  masterAgents().runtime.register(name, ref);
}

/** Drops a name, whichever agent holds it. */
export function unregister(name: string): void {
  masterAgents().runtime.unregister(name);
}

/** The agent registered under `name`, if any. */
export function whereis(name: string): AgentRef | undefined {
  return masterAgents().runtime.names.get(name);
}

/** Erlangen's agent-stats for the calling agent: messages received, dropped on overflow, waiting. */
export function agentStats(): { received: number; dropped: number; queued: number; mailboxSize: number } {
  return masterAgents().runtime.stats();
}
