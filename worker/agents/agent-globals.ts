/**
 * The functions an agent calls: globals in a worker's context, and in the master's own
 * context for agents started there from source text.
 */
import type { AgentRef, AttachMode } from '../../protocol/messages/agent-messages';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { AgentRuntime } from './agent-runtime';

/** What an agent may call: these are globals in a worker's context, and API functions on the master. */
export interface AgentGlobals {
  self(): AgentRef;
  receive(opts?: { timeout?: number }): Promise<unknown>;
  send(to: AgentRef | string, message: unknown): void;
  spawn(
    fn: (...args: unknown[]) => unknown,
    opts?: { attach?: AttachMode; name?: string; mailboxSize?: number },
  ): AgentRef;
  exitAgent(ref: AgentRef | string, reason?: unknown): void;
  link(ref: AgentRef | string, mode?: AttachMode): void;
  unlink(ref: AgentRef | string): void;
  register(name: string, ref?: AgentRef): void;
  unregister(name: string): void;
  whereis(name: string): AgentRef | undefined;
  agentStats(): { received: number; dropped: number; queued: number; mailboxSize: number };
}

/** The functions agents call, bound to `runtime`. */
export function agentGlobals(runtime: AgentRuntime): AgentGlobals {
  return {
    self: () => runtime.self(),
    receive: (opts) => runtime.receive(opts),
    send: (to, message) => runtime.send(to, message),
    spawn: (fn, opts) => spawnHere(runtime, fn, opts),
    exitAgent: (ref, reason = 'exit') => runtime.exit(runtime.resolve(ref), reason),
    link: (ref, mode) => runtime.link(ref, mode),
    unlink: (ref) => runtime.unlink(ref),
    register: (name, ref) => runtime.register(name, ref),
    unregister: (name) => runtime.unregister(name),
    whereis: (name) => runtime.names.get(name),
    agentStats: () => runtime.stats(),
  };
}

/** `spawn` as agents call it: on their own node, attached to the caller when asked. */
function spawnHere(
  runtime: AgentRuntime,
  fn: unknown,
  opts: { attach?: AttachMode; name?: string; mailboxSize?: number; worker?: string } = {},
): AgentRef {
  if (opts.worker !== undefined && opts.worker !== runtime.node) {
    throw crewError(
      ErrorCodes.BadArgument,
      `an agent on ${runtime.node} can spawn only on its own node; spawn on ${opts.worker} from the master`,
    );
  }
  if (opts.attach !== undefined && opts.attach !== 'link' && opts.attach !== 'monitor') {
    throw crewError(ErrorCodes.BadArgument, `attach must be 'link' or 'monitor', got ${String(opts.attach)}`);
  }
  const attach = opts.attach ? { to: runtime.self(), mode: opts.attach } : undefined;
  return runtime.start(fn, [], { attach, name: opts.name, mailboxSize: opts.mailboxSize });
}
