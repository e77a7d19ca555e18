/**
 * Messages between a worker's main thread and its eval thread (`worker_threads`). They
 * never leave the worker process, but are declared here with the rest of the protocol.
 */
import type { Frame } from '../codec/frame';
import type { FormDef, TaskMsg } from './worker-link-messages';

export namespace RunTasks {
  /** main -> eval: define new forms, then queue tasks. `session` tags the master they came from. */
  export interface Msg {
    t: 'run';
    session: number;
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
    session: number;
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
