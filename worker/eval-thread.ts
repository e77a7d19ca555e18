/**
 * The eval thread: runs user code in the persistent context, one task at a time, and sends
 * results back in batches when many finish close together, or at once when few do.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encodeFrame } from '../protocol/codec';
import type { FromEvalThread, ToEvalThread } from '../protocol/eval-thread';
import type { ResultMsg, TaskMsg } from '../protocol/messages';
import { Evaluator } from './evaluator';

const MAX_BATCH = 256;
const MAX_HOLD_MS = 2;

const port = parentPort!;
const evaluator = new Evaluator({ cwd: (workerData as { cwd?: string } | undefined)?.cwd });
const queue: { session: number; task: TaskMsg }[] = [];
let head = 0;
let running = false;
let pending: ResultMsg[] = [];
let pendingSession = 0;
let firstPendingAt = 0;
/** CL-MW's result grouping from the master: 0 means batch by time, as usual. */
let resultGroup = 0;

function post(msg: FromEvalThread, transfer?: ArrayBuffer[]): void {
  port.postMessage(msg, transfer);
}

function flush(): void {
  if (pending.length === 0) return;
  const results = pending;
  pending = [];
  const frame = encodeFrame({ t: 'results', results });
  const owned = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength;
  post({ t: 'results', session: pendingSession, ids: results.map((r) => r.id), frame }, owned ? [frame.buffer as ArrayBuffer] : undefined);
}

function settle(session: number, result: ResultMsg): void {
  if (pending.length > 0 && session !== pendingSession) flush();
  if (pending.length === 0) firstPendingAt = performance.now();
  pendingSession = session;
  pending.push(result);
  if (resultGroup ? pending.length >= resultGroup : pending.length >= MAX_BATCH || performance.now() - firstPendingAt > MAX_HOLD_MS) flush();
}

function pump(): void {
  if (running) return;
  running = true;
  while (head < queue.length) {
    const { session, task } = queue[head];
    queue[head++] = undefined as never;
    const outcome = evaluator.run(task);
    if (outcome instanceof Promise) {
      if (!resultGroup) flush();
      void outcome.then((r) => {
        settle(session, r);
        running = false;
        pump();
      });
      return;
    }
    settle(session, outcome);
  }
  queue.length = 0;
  head = 0;
  running = false;
  flush();
}

port.on('message', (msg: ToEvalThread) => {
  if (msg.t !== 'run') return;
  resultGroup = msg.resultGroup ?? 0;
  for (const def of msg.forms) evaluator.define(def);
  for (const task of msg.tasks) queue.push({ session: msg.session, task });
  pump();
});

post({ t: 'ready' });
