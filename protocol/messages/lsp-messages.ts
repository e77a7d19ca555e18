/**
 * The `crew/...` requests and notifications between the editor and the master, declared once
 * and imported by both the language server (`server/lsp/`) and the VS Code extension, in
 * the style of vscode-languageserver-protocol.
 *
 * Evaluation results travel as printed text: the master holds the real values, and the
 * editor only shows them.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { ErrorCode, StackFrame } from '../errors';
import type { PlacedSource } from '../form-source';
import type { WorkerSummary } from '../worker-summary';

export type { WorkerSummary } from '../worker-summary';

/**
 * Source text from the editor, placed at its file, line and column so errors point there.
 * The language follows the file name, as for a form without `lang`.
 */
export interface EvalParams extends PlacedSource {
  /** Chosen by the editor; {@link Progress} notifications for this evaluation carry it. */
  progressToken?: string;
  /** Print values with ANSI colours (for a terminal). */
  colors?: boolean;
}

export interface EvalAllParams extends EvalParams {
  /** Replay the form on workers that join later, as for a loaded file (default false). */
  replay?: boolean;
}

export interface EvalOnParams extends EvalParams {
  /** A worker id (`w1`) or name; null for whichever worker is free. */
  worker: string | null;
}

/** An error raised by evaluated code (or by Crew on its behalf), printed for the editor. */
export interface EvalError {
  /** The error's class name, e.g. `TypeError`. */
  name: string;
  message: string;
  /** Crew's stable code when Crew raised it (timeout, interrupted, not serializable...). */
  code?: ErrorCode;
  /** Frames mapped to the user's source; Crew's and Node's own frames are left out. */
  frames: StackFrame[];
  /** The whole error as a terminal would print it. */
  stack: string;
}

/** What one worker (or the master, as worker `master`) made of a form. */
export type WorkerOutcome =
  | {
      worker: string;
      ok: true;
      /** Fully printed value. */ value: string;
      /** One short line for inline display. */ summary: string;
      /** The value as JSON, for a plain object or array that JSON holds whole (a notebook's JSON view). */
      json?: string;
    }
  | { worker: string; ok: false; error: EvalError };

export interface EvalResult {
  /** `master` when the form ran on the master (asked for, or the pool is empty). */
  where: 'master' | 'workers';
  /** One outcome per worker, in worker order. */
  outcomes: WorkerOutcome[];
}

export interface WorkersState {
  /** False until a master pool exists (after {@link ConnectWorkers}), and after {@link DisconnectWorkers}. */
  started: boolean;
  /** Where workers can dial in, `host:port`, when the master listens. */
  listen?: string;
  workers: WorkerSummary[];
}

/** Evaluate on the master, in its persistent context with `pool` and the whole API in scope. */
export namespace EvalMaster {
  export const method = 'crew/evalMaster';
  export const type = new RequestType<EvalParams, EvalResult, void>(method);
}

/** Evaluate once on every worker; an empty pool evaluates on the master instead. */
export namespace EvalAllWorkers {
  export const method = 'crew/evalAllWorkers';
  export const type = new RequestType<EvalAllParams, EvalResult, void>(method);
}

/** Evaluate on one worker. */
export namespace EvalOn {
  export const method = 'crew/evalOn';
  export const type = new RequestType<EvalOnParams, EvalResult, void>(method);
}

export interface ConnectWorkersParams {
  /** Start this many local worker processes that dial in. */
  local?: number;
  /** Dial these listening workers, `host:port`. */
  addresses?: string[];
  /** Submit this many workers as a Slurm job array; they dial the master (`crew.slurm.*`). */
  slurm?: SlurmWorkersRequest;
}

/** The Slurm workers an editor asks for, as `crew master --slurm N` takes them. */
export interface SlurmWorkersRequest {
  workers: number;
  partition?: string;
  /** The job's time limit in minutes. */
  time?: number;
  /** More `sbatch` arguments, each one word. */
  sbatchArgs?: string[];
}

export interface ConnectWorkersResult extends WorkersState {
  /** One line per worker that could not be reached or started, naming it and why. */
  errors: string[];
}

/** Start the master's pool if there is none, then add local and listening workers to it. */
export namespace ConnectWorkers {
  export const method = 'crew/connectWorkers';
  export const type = new RequestType<ConnectWorkersParams, ConnectWorkersResult, void>(method);
}

/** Close every worker connection and the pool; evaluation falls back to the master. */
export namespace DisconnectWorkers {
  export const method = 'crew/disconnectWorkers';
  export const type = new RequestType<Record<string, never> | null, WorkersState, void>(method);
}

export namespace ListWorkers {
  export const method = 'crew/listWorkers';
  export const type = new RequestType<Record<string, never> | null, WorkersState, void>(method);
}

export interface InterruptParams {
  /** One worker, or every busy worker when left out. */
  worker?: string;
}

/** Interrupt what workers are running; their tasks fail with `CREW_INTERRUPTED`. */
export namespace Interrupt {
  export const method = 'crew/interrupt';
  export const type = new RequestType<InterruptParams | null, { interrupted: string[] }, void>(method);
}

/** Server -> editor: a worker joined, left, or changed state. */
export namespace WorkersChanged {
  export const method = 'crew/workersChanged';
  export const type = new NotificationType<WorkersState>(method);
}

export interface OutputParams {
  /** A worker id, or `master`. */
  worker: string;
  /** `audit` carries the master's audit trail ("[A]" lines). */
  stream: 'stdout' | 'stderr' | 'audit';
  text: string;
}

/** Server -> editor: what workers and the master print, and the audit trail, as SLIME forwards REPL output. */
export namespace Output {
  export const method = 'crew/output';
  export const type = new NotificationType<OutputParams>(method);
}

export interface ProgressParams {
  /** The evaluation's `progressToken`. */
  token: string;
  /** Workers finished so far, of `total`. */
  done: number;
  total: number;
  /** The outcome that just arrived. */
  outcome?: WorkerOutcome;
}

/** Server -> editor: one worker finished part of a longer evaluation. */
export namespace Progress {
  export const method = 'crew/progress';
  export const type = new NotificationType<ProgressParams>(method);
}

export interface TaskProgressParams {
  /** The evaluation's `progressToken`. */
  token: string;
  /** Pool tasks finished since the run began, of `total` (finished, waiting and running). */
  done: number;
  total: number;
  /** Workers in the pool now. */
  workers: number;
  elapsedMs: number;
}

/**
 * Server -> editor: the pool's progress while an evaluation on the master runs a long map
 * (or any run of tasks); sent a few times a second once the run has lasted half a second.
 */
export namespace TaskProgress {
  export const method = 'crew/taskProgress';
  export const type = new NotificationType<TaskProgressParams>(method);
}

/**
 * JSON-RPC error codes of `crew/...` requests. The `data` of such a `ResponseError` is a
 * {@link CrewErrorData} with Crew's stable string code.
 */
export namespace LspErrorCodes {
  /** The parameters are malformed (JSON-RPC's InvalidParams). */
  export const InvalidParams = -32602;
  /** The request was cancelled (LSP's RequestCancelled). */
  export const RequestCancelled = -32800;
  /** Crew failed the request; see `data.code`. */
  export const CrewFailure = -32001;
}

export interface CrewErrorData {
  code: ErrorCode;
}

/**
 * Version of the TCP authentication exchange that precedes LSP traffic on `crew lsp --port`.
 * 3: its MACs and keys are bound to the TLS channel.
 */
export const LSP_AUTH_VERSION = 3;
