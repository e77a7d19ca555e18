// Type-level tests, compiled by `tsc -p tsconfig.json` and never run: each message's type is
// derived from its check, so a type and its check cannot disagree, and a link end sends only
// frames of the kinds its direction may send. Each `@ts-expect-error` line must fail to
// compile; if it ever compiles, tsc reports the unused directive.
import { encodeFrame, encodeTaskFrame } from '../../protocol/codec/codec';
import type { Frame } from '../../protocol/codec/frame';
import { fitResultsFrame } from '../../protocol/codec/frame-limit';
import type { MasterEnd, WorkerEnd } from '../../protocol/link/link';
import type { AgentMsg, AgentRef } from '../../protocol/messages/agent-messages';
import type { DebugRestart, DebugToWorker } from '../../protocol/messages/debug-messages';
import {
  claim,
  exactly,
  num,
  oneOf,
  optional,
  shape,
  str,
  tuple,
  variant,
  type Check,
  type Infer,
} from '../../protocol/messages/field-checks';
import { message, type MessageOf } from '../../protocol/messages/link-message';
import type {
  FormDef,
  LinkMessage,
  MasterToWorker,
  ResultMsg,
  Shutdown,
  TaskMsg,
  Tasks,
  WorkerToMaster,
} from '../../protocol/messages/worker-link-messages';

type Same<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// The vocabulary derives the types it checks; a field whose check lets `undefined` through is optional.
const point = shape({ x: num, label: optional(str), kind: oneOf('a', 'b'), pair: tuple(str, num) });
const op = variant('op', { stop: {}, move: { to: num } });
export type Derived = [
  Expect<Same<Infer<typeof point>, { x: number; kind: 'a' | 'b'; pair: [string, number]; label?: string }>>,
  Expect<Same<Infer<typeof op>, { op: 'stop' } | { op: 'move'; to: number }>>,
  Expect<Same<FormDef['mode'], 'value' | 'call'>>,
  Expect<Same<Tasks.Msg['resultGroup'], number | undefined>>,
  Expect<Same<Extract<ResultMsg, { ok: true }>['value'], Uint8Array>>,
  Expect<Same<Extract<AgentMsg.Msg, { op: 'names' }>['names'], [string, AgentRef][]>>,
  Expect<Same<DebugRestart['kind'], 'abort' | 'retry' | 'retryElsewhere' | 'return' | 'continue'>>,
  Expect<Same<LinkMessage, MasterToWorker | WorkerToMaster>>,
  // Each direction's union is derived from who sends each message.
  Expect<Same<Extract<MasterToWorker, { t: 'results' }>, never>>,
  Expect<Same<Extract<WorkerToMaster, { t: 'tasks' }>, never>>,
  Expect<Same<Extract<WorkerToMaster, { t: 'protocolError' }>['t'], 'protocolError'>>,
  Expect<Same<Extract<MasterToWorker, DebugToWorker>, DebugToWorker>>,
];

// A check cannot stand for a type it does not check.
// @ts-expect-error: the check says `id` is a number, the type says a string.
export const wrongType: Check<{ id: string }> = shape({ id: num });
// @ts-expect-error: exactly() refuses a check whose derived type differs from the type it names.
export const drifted = exactly<{ a: string; b?: number }>()(shape({ a: str, b: num }));
export const agreed = exactly<{ a: string; b?: number }>()(shape({ a: str, b: optional(num) }));
// @ts-expect-error: claim() narrows what a check lets through; it cannot turn a string into a number.
export const farClaim = claim<number>()(str);
export const nearClaim: Check<'x' | 'y'> = claim<'x' | 'y'>()(str);

// A message with a wrong field type does not compile: the type is the check's.
const task: TaskMsg = { id: 1, form: 2 };
export const tasks: Tasks.Msg = { t: 'tasks', forms: [], tasks: [task] };
// @ts-expect-error: `form` is checked as a number.
export const badTask: TaskMsg = { id: 1, form: 'two' };
// @ts-expect-error: `forms` is missing.
export const noForms: Tasks.Msg = { t: 'tasks', tasks: [] };
// A declaration with a different field is a different type, not a silent mismatch.
const otherShutdown = message('shutdown', 'master', { reason: num });
// @ts-expect-error: `reason` is a number in this declaration and a string in Shutdown's.
export const mixed: Shutdown.Msg = {} as MessageOf<typeof otherShutdown>;

/** What each end may send, as messages and as frames. */
export function directions(master: MasterEnd, worker: WorkerEnd, results: ResultMsg[]): void {
  master.send(tasks);
  worker.send({ t: 'results', results });
  // @ts-expect-error: a master does not send results.
  master.send({ t: 'results', results });
  // @ts-expect-error: a worker does not send tasks.
  worker.send(tasks);

  const tasksFrame = encodeTaskFrame([], [{ id: 1, def: { id: 2 } }]) ?? encodeFrame(tasks);
  const resultsFrame: Frame<'results'> = encodeFrame({ t: 'results', results });
  master.sendFrame(tasksFrame);
  master.sendFrame(encodeFrame({ t: 'interrupt' }));
  for (const f of fitResultsFrame(resultsFrame, 1 << 20)) worker.sendFrame(f);
  // @ts-expect-error: a master cannot send a results frame.
  master.sendFrame(resultsFrame);
  // @ts-expect-error: a worker cannot send a tasks frame.
  worker.sendFrame(tasksFrame);
  // @ts-expect-error: bytes of no known kind are not a frame.
  master.sendFrame(new Uint8Array(8));
  // @ts-expect-error: only a link message encodes to a frame.
  encodeFrame({ t: 'results', results: 'none' });
  // @ts-expect-error: only results frames are split to fit.
  fitResultsFrame(tasksFrame, 1 << 20);
}
