/**
 * Agents inside a worker's eval thread: their functions become globals of the context, a
 * spawn from the master arrives as a task, and messages for agents arrive from the main
 * thread beside the tasks.
 */
import type { MessagePort } from 'node:worker_threads';
import { isAgentMsg } from '../../protocol/messages/agent-messages';
import { decodeValue, encodeValue } from '../../protocol/codec/codec';
import type { ResultMsg, TaskMsg } from '../../protocol/messages/worker-link-messages';
import { agentGlobals } from '../agents/agent-globals';
import { AgentRuntime } from '../agents/agent-runtime';
import type { Evaluator } from '../image/evaluator';

export function startAgents(evaluator: Evaluator, port: MessagePort): AgentRuntime {
  const runtime = new AgentRuntime((op) => port.postMessage({ t: 'agent', ...op }));
  Object.assign(evaluator.context, agentGlobals(runtime));
  port.on('message', (m: unknown) => {
    if (isAgentMsg(m)) runtime.handle(m);
  });
  // A spawn is a task, so it keeps its place in the queue after the forms sent before it;
  // it starts an agent and answers with the agent's reference instead of computing a value.
  const run = evaluator.run.bind(evaluator);
  evaluator.run = ((task: TaskMsg) =>
    task.agent ? spawnTask(runtime, evaluator, task) : run(task)) as typeof evaluator.run;
  return runtime;
}

/** The spawn form evaluates to the agent's function; the task's arguments are its arguments. */
function spawnTask(runtime: AgentRuntime, evaluator: Evaluator, task: TaskMsg): ResultMsg {
  const start = performance.now();
  try {
    const fn = evaluator.invoke(task.form, undefined);
    const args = task.args ? (decodeValue(task.args) as unknown[]) : [];
    const ref = runtime.start(fn, args, task.agent!);
    return { id: task.id, ok: true, value: encodeValue(ref), ms: performance.now() - start };
  } catch (err) {
    return { id: task.id, ok: false, error: evaluator.describeError(err), ms: performance.now() - start };
  } finally {
    evaluator.release(task.form);
  }
}
