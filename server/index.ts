/**
 * Crew: distributed, interactive evaluation for TypeScript and JavaScript.
 *
 * ```ts
 * import { startMaster, parallelMap, disconnectWorkers } from 'crew';
 * const pool = await startMaster({ local: 2 });
 * console.log(await parallelMap(pool, (x) => `${x} * ${x}`, [1, 2, 3])); // [1, 4, 9]
 * await disconnectWorkers(pool);
 * ```
 */
export {
  addWorkers,
  connectWorkers,
  disconnectWorkers,
  startMaster,
  type ConnectOptions,
  type MasterOptions,
} from './pool/connect';
export {
  evalFormAllWorkers,
  evalFormRepeatedly,
  evalOn,
  evalRepeatedlyAsyncState,
  parallelMap,
  parallelReduce,
  type EvalAllOptions,
  type MakeWork,
  type MapOptions,
  type PoolArg,
  type RepeatOptions,
  type StateUpdate,
  type TaskOptions,
} from './api/swank-crew';
export {
  asCompleted,
  inCompletionOrder,
  parallel,
  runTask,
  type RunTaskOptions,
  type TaskResult,
} from './api/more-dispatch';
export {
  agentStats,
  exitAgent,
  link,
  receive,
  register,
  self,
  send,
  spawn,
  unlink,
  unregister,
  whereis,
  type AgentFunction,
  type AgentRef,
  type AttachMode,
  type ExitNotice,
  type SpawnOptions,
} from './agents/agent-api';
export { launchWorkers, type LaunchOptions } from './launch/ssh-launch';
export { formatBar, showProgress, trackProgress, type Progress } from './api/progress';
export { cdpAddress } from './debug/cdp-proxy';
export { form, type CallForm, type Form, type FormSource } from './api/form';
export { WorkerPool, type PoolOptions } from './pool/pool';
export type { WorkerState, WorkerSummary } from '../protocol/worker-summary';
export { CrewError, ErrorCodes, RemoteError, type ErrorCode, type StackFrame } from '../protocol/errors';
