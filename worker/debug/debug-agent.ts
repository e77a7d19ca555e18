/**
 * The worker's debug agent. From the main thread it debugs the eval thread through
 * `node:inspector` (the `NodeWorker` domain): it suspends at errors thrown by user code,
 * reports the live frames mapped to the user's source, and answers questions about them.
 * Restarts are left in a slot the evaluator reads when the error reaches it
 * (see `evaluator.ts`), then the thread is resumed.
 */
import { EventEmitter } from 'node:events';
import { Session } from 'node:inspector';
import type { Worker } from 'node:worker_threads';
import type {
  DebugAnswer,
  DebugCondition,
  DebugFrame,
  DebugOp,
  DebugValue,
  Paused,
  Resumed,
} from '../../protocol/messages/debug-messages';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { FormDef } from '../../protocol/messages/worker-link-messages';
import { catchesAt, parseScript, type ParsedScript } from './catch-site';
import { EVAL_THREAD_FILE } from '../eval-thread/eval-thread-start';
import { RESTART_SLOT } from './restart-slot';
import { isInternalFile, SourceMaps } from '../image/source-maps';

type Cdp = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { message: string };
};
interface CallFrame {
  callFrameId: string;
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
  scopeChain: { type: string; name?: string; object: { objectId?: string } }[];
}
interface RemoteObject {
  type: string;
  subtype?: string;
  className?: string;
  value?: unknown;
  description?: string;
  objectId?: string;
  unserializableValue?: string;
}

export interface DebugAgentEvents {
  paused: [Paused.Msg];
  resumed: [Resumed.Msg];
}

const FORM_SCRIPT = /#crew\d+$/;

export class DebugAgent extends EventEmitter<DebugAgentEvents> {
  private readonly session = new Session();
  private sessionId?: string;
  private threadId?: number;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Scripts of the eval thread by id: their names, and where their text starts. */
  private readonly scripts = new Map<string, { url: string; startLine: number; startColumn: number }>();
  /** Parsed script texts, to see where errors are caught; undefined when unparsable. */
  private readonly parsed = new Map<string, ParsedScript | undefined>();
  private mode = false;
  private pause?: { pauseId: number; reason: DebugCondition['reason']; frames: CallFrame[] };
  private nextPause = 1;
  readonly sourceMaps = new SourceMaps();

  /** Which task the eval thread is running, as far as the host knows. */
  constructor(
    private readonly currentTask: () => { id: number; form?: FormDef } | undefined,
    /** Replaces the eval thread: the only way to abort a loop that throws nothing. */
    private readonly replaceThread: () => void,
  ) {
    super();
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', ({ params }) => {
      const p = params as unknown as { sessionId: string; workerInfo: { workerId: string } };
      if (Number(p.workerInfo.workerId) !== this.threadId) return;
      this.sessionId = p.sessionId;
      void this.configure();
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
      const p = params as unknown as { sessionId: string; message: string };
      if (p.sessionId === this.sessionId) this.receive(JSON.parse(p.message) as Cdp);
    });
    this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  /** Follows a (new) eval thread. */
  attach(thread: Worker): void {
    this.threadId = thread.threadId;
    this.sessionId = undefined;
    this.scripts.clear();
    this.parsed.clear();
    if (this.pause) this.ended('the eval thread was replaced');
  }

  /** Suspend at errors in user code (true while an editor is attached). */
  setMode(on: boolean): Promise<void> {
    if (on === this.mode) return Promise.resolve();
    this.mode = on;
    // The V8 debugger stays off unless an editor wants it: it costs the eval thread speed.
    if (on) return this.configure();
    if (this.sessionId) void this.send('Debugger.disable').catch(() => {});
    return Promise.resolve();
  }

  get debugging(): boolean {
    return this.mode;
  }

  /** Suspends whatever the eval thread runs now (an interrupt, with the debugger). */
  suspend(): void {
    if (this.sessionId && !this.pause) void this.send('Debugger.pause').catch(() => {});
  }

  get paused(): boolean {
    return this.pause !== undefined;
  }

  /** Keeps a form's source map, for the most recent forms only. */
  learn(def: FormDef): void {
    this.sourceMaps.add(def, 2000);
  }

  /** Answers a request about suspension `pauseId`; a stale id is refused, never acted on. */
  async request(pauseId: number, op: DebugOp): Promise<DebugAnswer> {
    const pause = this.pause;
    if (!pause || pause.pauseId !== pauseId)
      throw crewError(ErrorCodes.DebugStale, `suspension ${pauseId} has already ended; nothing was done`);
    switch (op.op) {
      case 'properties': {
        const r = (await this.send('Runtime.getProperties', { objectId: op.objectId, ownProperties: true })) as {
          result: { name: string; value?: RemoteObject; get?: RemoteObject }[];
        };
        return {
          values: r.result.slice(0, 500).map((d) => toValue(d.name, d.value ?? d.get ?? { type: 'undefined' })),
        };
      }
      case 'evaluate':
        return { value: await this.evaluate(pause, op.frame, op.expression) };
      case 'restart':
        return { restarted: await this.restart(pause, op) };
    }
  }

  private async evaluate(
    pause: NonNullable<DebugAgent['pause']>,
    frame: number,
    expression: string,
  ): Promise<DebugValue> {
    const cf = pause.frames[frame];
    if (!cf)
      throw crewError(ErrorCodes.BadArgument, `there is no frame ${frame}; the stack has ${pause.frames.length}`);
    const r = (await this.send('Debugger.evaluateOnCallFrame', {
      callFrameId: cf.callFrameId,
      expression,
      silent: true,
      generatePreview: false,
    })) as { result: RemoteObject; exceptionDetails?: { exception?: RemoteObject; text: string } };
    if (r.exceptionDetails) {
      const e = r.exceptionDetails.exception;
      throw crewError(
        ErrorCodes.Remote,
        `evaluating ${JSON.stringify(expression)} in frame ${frame} threw ${e?.description?.split('\n')[0] ?? r.exceptionDetails.text}`,
      );
    }
    return toValue(expression, r.result);
  }

  private async restart(
    pause: NonNullable<DebugAgent['pause']>,
    op: Extract<DebugOp, { op: 'restart' }>,
  ): Promise<string> {
    const { restart } = op;
    if (pause.reason === 'interrupt' && restart.kind !== 'continue' && restart.kind !== 'abort') {
      throw crewError(
        ErrorCodes.BadArgument,
        `an interrupted evaluation can be continued or aborted, not given ${restart.kind}`,
      );
    }
    if (pause.reason === 'exception' && restart.kind !== 'continue') {
      const value = restart.kind === 'return' ? `value: (${restart.expression}),` : '';
      await this.evaluate(
        pause,
        restart.kind === 'return' ? (op.frame ?? 0) : 0,
        `process[Symbol.for(${JSON.stringify(RESTART_SLOT)})] = { kind: ${JSON.stringify(restart.kind)}, ${value} }`,
      );
    }
    const how =
      restart.kind === 'return'
        ? 'returned a value'
        : restart.kind === 'retryElsewhere'
          ? 'retrying on another worker'
          : restart.kind === 'retry'
            ? 'retrying'
            : restart.kind === 'abort'
              ? 'aborted'
              : 'continued';
    this.ended(how);
    await this.send('Debugger.resume');
    if (pause.reason === 'interrupt' && restart.kind === 'abort') this.replaceThread();
    return how;
  }

  /** The master went away: a suspension must not wait forever, so it is aborted. */
  abandon(): void {
    const pause = this.pause;
    if (pause) void this.restart(pause, { op: 'restart', restart: { kind: 'abort' } }).catch(() => {});
    void this.setMode(false);
  }

  private ended(how: string): void {
    const pause = this.pause;
    if (!pause) return;
    this.pause = undefined;
    this.emit('resumed', { t: 'debugResumed', pauseId: pause.pauseId, how });
  }

  private async configure(): Promise<void> {
    if (!this.mode || !this.sessionId) return;
    try {
      await this.send('Debugger.enable');
      await this.send('Debugger.setPauseOnExceptions', { state: 'all' });
    } catch {
      /* the thread went away while attaching; the next one is configured afresh */
    }
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const sessionId = this.sessionId;
    if (!sessionId)
      return Promise.reject(crewError(ErrorCodes.DebugStale, 'the eval thread is not attached to the debugger'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.session.post('NodeWorker.sendMessageToWorker', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
  }

  private receive(m: Cdp): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(crewError(ErrorCodes.Remote, m.error.message));
      else p?.resolve(m.result);
      return;
    }
    if (m.method === 'Debugger.scriptParsed') {
      const p = m.params as { scriptId: string; url?: string; startLine?: number; startColumn?: number };
      this.scripts.set(p.scriptId, { url: p.url ?? '', startLine: p.startLine ?? 0, startColumn: p.startColumn ?? 0 });
    } else if (m.method === 'Debugger.paused')
      this.onPaused(m.params as unknown as { reason: string; data?: RemoteObject; callFrames: CallFrame[] });
    else if (m.method === 'Debugger.resumed') this.ended('resumed');
  }

  /** The script's name as Crew gave it: V8 reports it percent-encoded (`#` as `%23`). */
  private urlOf(f: CallFrame): string {
    const url = f.url || this.scripts.get(f.location.scriptId)?.url || '';
    try {
      return decodeURIComponent(url.replace(/^file:\/\//, ''));
    } catch {
      return url;
    }
  }

  private onPaused(p: { reason: string; data?: RemoteObject; callFrames: CallFrame[] }): void {
    const exception = p.reason === 'exception' || p.reason === 'promiseRejection';
    const resume = () => void this.send('Debugger.resume').catch(() => {});
    if (p.callFrames.length === 0 || (exception && !this.mode) || (!exception && p.reason !== 'other')) return resume();
    if (!exception) return this.suspendAt(p, false);
    // Every throw stops here while debugging; only those the user's code lets escape suspend.
    void this.escapesUserCode(p.callFrames).then(
      (escapes) => (escapes && this.mode ? this.suspendAt(p, true) : resume()),
      // The thread went away meanwhile, or a question failed: suspend, as without the check.
      () => (this.mode && this.sessionId ? this.suspendAt(p, true) : undefined),
    );
  }

  /**
   * True when an error thrown at these frames leaves the user's code uncaught: some frame
   * above the evaluator is the user's, and no frame there catches at the point it is at.
   * Errors that Node or Crew throw and catch themselves do not involve the user.
   */
  private async escapesUserCode(frames: CallFrame[]): Promise<boolean> {
    const boundary = frames.findIndex((f) => this.urlOf(f) === EVAL_THREAD_FILE);
    const above = boundary === -1 ? frames : frames.slice(0, boundary);
    if (!above.some((f) => isUserCode(this.urlOf(f)))) return false;
    for (const f of above) if (await this.catches(f)) return false;
    return true;
  }

  private async catches(f: CallFrame): Promise<boolean> {
    const id = f.location.scriptId;
    if (!this.parsed.has(id)) {
      const { scriptSource } = (await this.send('Debugger.getScriptSource', { scriptId: id })) as {
        scriptSource: string;
      };
      this.parsed.set(id, await parseScript(scriptSource));
    }
    const script = this.parsed.get(id);
    if (!script) return false;
    // Locations count from the start the script was given (a form's line in its file).
    const start = this.scripts.get(id) ?? { startLine: 0, startColumn: 0 };
    const line = f.location.lineNumber - start.startLine;
    return catchesAt(script, line, line === 0 ? f.location.columnNumber - start.startColumn : f.location.columnNumber);
  }

  private suspendAt(p: { reason: string; data?: RemoteObject; callFrames: CallFrame[] }, exception: boolean): void {
    const task = this.currentTask();
    const condition: DebugCondition = exception
      ? describeThrown(p.data)
      : { reason: 'interrupt', name: 'Interrupt', message: 'the evaluation was interrupted' };
    if (task?.form) condition.form = `${task.form.filename}:${task.form.line} ${task.form.code.slice(0, 80)}`;
    const pauseId = this.nextPause++;
    this.pause = { pauseId, reason: condition.reason, frames: p.callFrames };
    this.emit('paused', {
      t: 'debugPaused',
      pauseId,
      taskId: task?.id,
      condition,
      frames: p.callFrames.map((f, index) => this.frame(f, index)),
    });
  }

  private frame(f: CallFrame, index: number): DebugFrame {
    const url = this.urlOf(f);
    const line = f.location.lineNumber + 1;
    const column = f.location.columnNumber + 1;
    const mapped = this.sourceMaps.mapPosition(url, line, column);
    return {
      index,
      functionName: f.functionName,
      ...(mapped ?? { file: url, line, column }),
      internal: mapped ? false : isInternalFile(url) || url === '',
      scopes: f.scopeChain
        .filter((s) => s.type !== 'global' && s.object.objectId)
        .map((s) => ({ type: s.type, name: s.name, objectId: s.object.objectId! })),
    };
  }
}

function isUserCode(file: string): boolean {
  if (FORM_SCRIPT.test(file)) return true;
  return file !== '' && !isInternalFile(file) && !file.includes('/node_modules/');
}

function describeThrown(data: RemoteObject | undefined): DebugCondition {
  if (!data) return { reason: 'exception', name: 'Error', message: 'unknown error' };
  if (data.type !== 'object')
    return {
      reason: 'exception',
      name: 'Error',
      message: `non-Error thrown: ${String(data.value ?? data.description)}`,
    };
  const head = (data.description ?? '').split('\n')[0];
  const name = data.className ?? 'Error';
  return { reason: 'exception', name, message: head.startsWith(`${name}: `) ? head.slice(name.length + 2) : head };
}

function toValue(name: string, o: RemoteObject): DebugValue {
  const type = o.subtype ? `${o.type}:${o.subtype}` : o.type;
  let value: string;
  if (o.type === 'string') value = JSON.stringify(o.value);
  else if (o.unserializableValue !== undefined) value = o.unserializableValue;
  else if (o.type === 'undefined') value = 'undefined';
  else if ('value' in o && o.type !== 'object' && o.type !== 'function') value = String(o.value);
  else if (o.subtype === 'null') value = 'null';
  else value = (o.description ?? o.className ?? o.type).split('\n')[0];
  return o.objectId && o.type === 'object' ? { name, type, value, objectId: o.objectId } : { name, type, value };
}
