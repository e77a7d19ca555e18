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
// The values are the names a REPL finds in scope; the types are declared beside them.
export * from './api/api-globals';
export type { ConnectOptions, MasterOptions } from './pool/connect';
export type { EvalAllOptions, MakeWork, MapOptions, PoolArg, TaskOptions } from './api/swank-crew';
export type { RepeatOptions, StateUpdate } from './api/repeated-eval';
export type { RunTaskOptions, TaskResult } from './api/run-task';
export type { AgentFunction, AgentRef, AttachMode, ExitNotice, SpawnOptions } from './agents/agent-api';
export type { LaunchOptions } from './launch/ssh-launch';
export type { SlurmOptions } from './launch/slurm-launch';
export type { SlurmPoolOptions } from './launch/slurm-workers';
export type { Progress } from './api/progress';
export type { CallForm, Form, FormSource } from './api/form';
export type { PoolOptions } from './pool/pool-options';
export type { WorkerState, WorkerSummary } from '../protocol/worker-summary';
export type { ErrorCode, StackFrame } from '../protocol/errors';
export { heapSnapshot, profileWorkers, writeProfiles } from './api/profile';
export type { CpuProfile, HeapSnapshotOptions, ProfileFiles, ProfileNode, ProfileOptions } from './api/profile';
