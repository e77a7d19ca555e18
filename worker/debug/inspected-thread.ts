/**
 * Which thread a `NodeWorker.attachedToWorker` event is about. Its `workerId` is the
 * inspector's own count, not the thread's id: with several eval threads in one process (a
 * session per master) they differ. The title Node gives the worker, `[worker N] …`, names
 * the thread id.
 */

/** The `workerInfo` of CDP's `NodeWorker.attachedToWorker`. */
export interface InspectedWorkerInfo {
  workerId: string;
  title?: string;
}

/** The thread id of the worker the inspector attached to. */
export function inspectedThreadId(info: InspectedWorkerInfo): number {
  const fromTitle = /^\[worker (\d+)\]/.exec(info.title ?? '')?.[1];
  return Number(fromTitle ?? info.workerId);
}
