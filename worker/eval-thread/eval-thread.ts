/**
 * The eval thread: runs user code in the persistent context, one task at a time, and sends
 * results back in batches when many finish close together, or at once when few do.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startAgents } from './agent-tasks';
import { encodeFrame, ownsMemory, tasksOf } from '../../protocol/codec/codec';
import type { FromEvalThread, LinkNumber, ToEvalThread } from '../../protocol/messages/eval-thread-messages';
import type { ResultMsg, TaskMsg } from '../../protocol/messages/worker-link-messages';
import { Evaluator, RETRY } from '../image/evaluator';
import { threadModuleSource, type ModuleChannelEnd } from '../modules/module-channel';
import { serveImageQuestions } from '../image/image-thread';
import { Queue } from '../../protocol/queue';

const MAX_BATCH = 256;
const MAX_HOLD_MS = 2;

const port = parentPort!;
const data = workerData as { cwd?: string; currentTask?: SharedArrayBuffer; modules?: ModuleChannelEnd } | undefined;
const evaluator = new Evaluator({ cwd: data?.cwd, modules: data?.modules && threadModuleSource(data.modules) });
/** The id of the task running now, for the debug agent on the main thread to read while this thread is suspended. */
const current = new Int32Array(data?.currentTask ?? new SharedArrayBuffer(4));
const queue = new Queue<{ linkNumber: LinkNumber; task: TaskMsg }>();
let running = false;
// Erlangen's agents live in this thread, beside the tasks.
startAgents(evaluator, port);
// The editor's questions about the image (completion, hover) are answered between tasks.
serveImageQuestions(evaluator);
let pending: ResultMsg[] = [];
let pendingLink: LinkNumber = 0;
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
  post(
    { t: 'results', linkNumber: pendingLink, ids: results.map((r) => r.id), frame },
    ownsMemory(frame) ? [frame.buffer as ArrayBuffer] : undefined,
  );
}

function settle(linkNumber: LinkNumber, result: ResultMsg): void {
  if (pending.length > 0 && linkNumber !== pendingLink) flush();
  if (pending.length === 0) firstPendingAt = performance.now();
  pendingLink = linkNumber;
  pending.push(result);
  if (
    resultGroup
      ? pending.length >= resultGroup
      : pending.length >= MAX_BATCH || performance.now() - firstPendingAt > MAX_HOLD_MS
  )
    flush();
}

function pump(): void {
  if (running) return;
  running = true;
  while (queue.length > 0) {
    const { linkNumber, task } = queue.shift()!;
    Atomics.store(current, 0, task.id);
    const outcome = evaluator.run(task);
    if (outcome instanceof Promise) {
      if (!resultGroup) flush();
      void outcome.then((r) => {
        Atomics.store(current, 0, 0);
        if (r === RETRY) retryLater(linkNumber, task);
        else settle(linkNumber, r);
        running = false;
        pump();
      });
      return;
    }
    if (outcome === RETRY) retryLater(linkNumber, task);
    else settle(linkNumber, outcome);
  }
  Atomics.store(current, 0, 0);
  running = false;
  flush();
}

/**
 * The debugger's "retry": run the task again after the messages that arrived while it was
 * suspended, so a definition fixed meanwhile is in place first.
 */
function retryLater(linkNumber: LinkNumber, task: TaskMsg): void {
  setImmediate(() => {
    queue.push({ linkNumber, task });
    pump();
  });
}

port.on('message', (msg: ToEvalThread) => {
  if (msg.t === 'drain') {
    flush();
    post({ t: 'drained', ids: queue.drain().map((q) => q.task.id) });
    return;
  }
  if (msg.t !== 'run') return;
  resultGroup = msg.resultGroup ?? 0;
  for (const def of msg.forms) evaluator.define(def);
  for (const task of tasksOf(msg)) queue.push({ linkNumber: msg.linkNumber, task });
  pump();
});

post({ t: 'ready' });
