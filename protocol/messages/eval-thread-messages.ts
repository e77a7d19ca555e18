/**
 * Messages between a worker's main thread and its eval thread (`worker_threads`). They
 * never leave the worker process, but are declared here with the rest of the protocol.
 */
import type { Frame } from '../codec/frame';
import type { FormDef, TaskMsg } from './worker-link-messages';

/**
 * Which link of a worker's session sent a task. A session numbers its links from 1, as its
 * master redials; a result of an earlier link's task is dropped. Setup forms replayed into a
 * fresh thread are {@link REPLAYED}: their results are nobody's to receive.
 */
export type LinkNumber = number;
/** The link number of replayed setup forms. */
export const REPLAYED: LinkNumber = -1;

export namespace RunTasks {
  /** main -> eval: define new forms, then queue tasks, tagged with the link that sent them. */
  export interface Msg {
    t: 'run';
    linkNumber: LinkNumber;
    forms: FormDef[];
    tasks: TaskMsg[];
    resultGroup?: number;
    /** More tasks in the compact layout of task-frames.ts: moving bytes costs less than cloning objects. */
    packed?: Uint8Array;
  }
}
export namespace Drain {
  /** main -> eval: the worker is leaving; drop the queued tasks that have not started, and say which. */
  export interface Msg {
    t: 'drain';
  }
}
export namespace Drained {
  /** eval -> main: the tasks dropped by `drain`; results held back for grouping went out first. */
  export interface Msg {
    t: 'drained';
    ids: number[];
  }
}
export namespace ResultsFrame {
  /** eval -> main: a `results` link frame, already encoded, and the task ids it settles. */
  export interface Msg {
    t: 'results';
    linkNumber: LinkNumber;
    ids: number[];
    frame: Frame<'results'>;
  }
}
export namespace ThreadReady {
  /** eval -> main: the thread has its context and takes tasks. */
  export interface Msg {
    t: 'ready';
  }
}

export type ToEvalThread = RunTasks.Msg | Drain.Msg;
export type FromEvalThread = ResultsFrame.Msg | ThreadReady.Msg | Drained.Msg;
