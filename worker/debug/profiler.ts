/**
 * The worker's main thread profiling its eval thread for the master's `profileAsk`
 * (protocol/messages/profile-messages.ts): a CPU profile over a time, its frames mapped to
 * the user's files (profile-frames.ts), or a heap snapshot. It speaks to the thread through a
 * session of its own (thread-session.ts), so it works while a task runs (V8 handles inspector
 * messages between the task's own steps) and while a debugger is attached. One profile at a
 * time per eval thread: V8 keeps one sampling interval per thread.
 */
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';
import type { ProfileAnswer, ProfileAsk, ProfileKind, ProfileStop } from '../../protocol/messages/profile-messages';
import type { CpuProfile } from '../../protocol/messages/profile-messages';
import { mapProfile, type ParsedScript } from './profile-frames';
import { ThreadSession } from './thread-session';

/** What profiling needs of the worker. */
export interface ProfileContext {
  /** The eval thread's id now (a restart makes a new thread). */
  threadId(): number;
  /** Sends to the master that asked, if it is still connected. */
  send(message: ProfileAnswer.Msg): void;
}

/**
 * Eval threads being profiled now, by thread id (a worker serving several masters has one
 * each), with the request and what ends its CPU profile early.
 */
const running = new Map<number, { reqId: number; stop(): void }>();

/** Answers one `profileAsk` from the master, when the profile is done. */
export function answerProfileAsk(ctx: ProfileContext, m: ProfileAsk.Msg): void {
  const threadId = ctx.threadId();
  if (running.has(threadId))
    return ctx.send({
      t: 'profileAnswer',
      reqId: m.reqId,
      ok: false,
      code: ErrorCodes.ProfileBusy,
      message: 'this worker is already being profiled; ask again when that profile is done',
    });
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  running.set(threadId, { reqId: m.reqId, stop });
  void take(threadId, m.what, stopped)
    .then(
      (data) => ctx.send({ t: 'profileAnswer', reqId: m.reqId, ok: true, data }),
      (err: CrewError) =>
        ctx.send({
          t: 'profileAnswer',
          reqId: m.reqId,
          ok: false,
          code: err.code ?? ErrorCodes.ProfileFailed,
          message: err.message,
        }),
    )
    .finally(() => running.delete(threadId));
}

/** Ends CPU profile `m.reqId` of the eval thread now, if it is the one running. */
export function stopProfile(threadId: number, m: ProfileStop.Msg): void {
  const now = running.get(threadId);
  if (now?.reqId === m.reqId) now.stop();
}

async function take(threadId: number, what: ProfileKind, stopped: Promise<void>): Promise<string> {
  const session = await ThreadSession.open(threadId);
  try {
    return what.kind === 'cpu'
      ? await cpuProfile(session, what.ms, stopped, what.intervalUs)
      : await heapSnapshot(session);
  } finally {
    session.close();
  }
}

async function cpuProfile(
  session: ThreadSession,
  ms: number,
  stopped: Promise<void>,
  intervalUs?: number,
): Promise<string> {
  await session.send('Profiler.enable');
  if (intervalUs) await session.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.send('Profiler.start');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  const { profile } = (await session.send('Profiler.stop')) as { profile: CpuProfile };
  await session.send('Profiler.disable');
  return JSON.stringify(mapProfile(profile, await scriptsOf(session, profile)));
}

/**
 * The scripts a profile's frames name, with their source maps: enabling the debugger in this
 * session reports every script the thread has, and it is disabled again at once. Pauses are
 * skipped meanwhile, so a `debugger` statement does not stop the thread for this session.
 */
async function scriptsOf(session: ThreadSession, profile: CpuProfile): Promise<Map<string, ParsedScript>> {
  const wanted = new Set(profile.nodes.map((n) => n.callFrame.scriptId));
  const scripts = new Map<string, ParsedScript>();
  session.on('Debugger.scriptParsed', (params) => {
    const p = params as { scriptId: string; url?: string; sourceMapURL?: string };
    if (wanted.has(p.scriptId)) scripts.set(p.scriptId, { url: p.url ?? '', sourceMapURL: p.sourceMapURL });
  });
  await Promise.all([
    session.send('Debugger.enable'),
    session.send('Debugger.setSkipAllPauses', { skip: true }),
    session.send('Debugger.disable'),
  ]);
  return scripts;
}

async function heapSnapshot(session: ThreadSession): Promise<string> {
  const chunks: string[] = [];
  session.on('HeapProfiler.addHeapSnapshotChunk', (params) => chunks.push((params as { chunk: string }).chunk));
  await session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  if (chunks.length === 0) throw crewError(ErrorCodes.ProfileFailed, 'the eval thread wrote an empty heap snapshot');
  return chunks.join('');
}
