/**
 * The names a REPL, a `crew run` script or a notebook cell finds in scope, beside `pool`:
 * every function and class of Crew's API. The package root exports these same values.
 */
export { addWorkers, connectWorkers, disconnectWorkers, startMaster } from '../pool/connect';
export { evalFormAllWorkers, evalOn, parallelMap, parallelReduce } from './swank-crew';
export { evalFormRepeatedly, evalRepeatedlyAsyncState } from './repeated-eval';
export { asCompleted, inCompletionOrder } from './completion-order';
export { parallel, runTask } from './run-task';
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
} from '../agents/agent-api';
export { launchWorkers } from '../launch/ssh-launch';
export { formatBar, showProgress, trackProgress } from './progress';
export { cdpAddress } from '../debug/cdp-proxy';
export { form } from './form';
export { WorkerPool } from '../pool/pool';
export { CrewError, ErrorCodes, RemoteError } from '../../protocol/errors';
