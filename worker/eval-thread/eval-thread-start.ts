/**
 * Starting the eval thread. A worker process can start it before loading the rest of its
 * code (see server/cli/worker-process.ts), so the thread's own start, a second Node environment
 * and the longest step of a worker's start, overlaps the loading of the connection's code. A
 * listening worker keeps one started the same way for the next master's session.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { moduleChannel, type ModuleChannelEnd } from '../modules/module-channel';

/** The eval thread's code: where the user's code is called from, and errors caught. */
export const EVAL_THREAD_FILE = join(__dirname, 'eval-thread.js');

export interface EvalThread {
  thread: Worker;
  /** The id of the task the thread runs now, written by the thread, read by the debugger. */
  current: Int32Array;
  /** The main thread's end of the channel the thread asks for module code on. */
  modules: ModuleChannelEnd;
}

/** Starts an eval thread with this heap limit in MiB (none: Node's default). */
export function startEvalThread(maxHeapMb?: number): EvalThread {
  const current = new Int32Array(new SharedArrayBuffer(4));
  const modules = moduleChannel();
  const thread = new Worker(EVAL_THREAD_FILE, {
    stdout: true,
    stderr: true,
    workerData: { cwd: process.cwd(), currentTask: current.buffer, modules: modules.thread },
    transferList: [modules.thread.port],
    resourceLimits: maxHeapMb ? { maxOldGenerationSizeMb: maxHeapMb } : undefined,
  });
  return { thread, current, modules: modules.main };
}

let early: (EvalThread & { maxHeapMb?: number; exited: boolean }) | undefined;

/**
 * Starts the thread now, for the first {@link takeEarlyEvalThread} with the same heap limit;
 * nothing is started while such a thread is still waiting.
 */
export function startEvalThreadEarly(maxHeapMb?: number): void {
  if (early && !early.exited && early.maxHeapMb === maxHeapMb) return;
  dropEarlyEvalThread();
  const started = { ...startEvalThread(maxHeapMb), maxHeapMb, exited: false };
  // Until it is taken nobody listens; an error must not become an uncaught exception here,
  // and a thread that has already exited is not handed out.
  started.thread.once('error', () => undefined);
  started.thread.once('exit', () => (started.exited = true));
  early = started;
}

/** The thread started early, if there is one with this heap limit that is still running. */
export function takeEarlyEvalThread(maxHeapMb?: number): EvalThread | undefined {
  const taken = early;
  early = undefined;
  if (!taken) return undefined;
  if (taken.exited || taken.maxHeapMb !== maxHeapMb) {
    void taken.thread.terminate();
    return undefined;
  }
  return taken;
}

/** Ends the thread started early if nobody took it, so that it keeps no process alive. */
export function dropEarlyEvalThread(): void {
  const dropped = early;
  early = undefined;
  if (dropped) void dropped.thread.terminate();
}
