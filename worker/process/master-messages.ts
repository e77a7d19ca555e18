/**
 * What a worker does with each message its master sends: tasks to the eval thread (after
 * their signature is checked; a large frame in slices), agent operations, interrupts, the
 * debugger and the CDP relay, and the master's shutdown.
 */
import type { Audit } from '../../protocol/audit';
import { ErrorCodes, type CrewError } from '../../protocol/errors';
import type { LinkNumber } from '../../protocol/messages/eval-thread-messages';
import type { WorkerEnd } from '../../protocol/link/link';
import { Defaults } from '../../protocol/limits';
import type { MasterToWorker, TaskMsg, Tasks } from '../../protocol/messages/worker-link-messages';
import type { SignatureChecker } from '../../protocol/signing';
import type { CdpRelay } from '../debug/cdp-relay';
import type { ModuleFetcher } from '../modules/module-fetch';
import type { EvalHost } from './eval-host';
import { answerImageAsk } from '../image/image-requests';
import { answerProfileAsk, stopProfile } from '../debug/profiler';
import { formFinder, type FormFinder, type Steps } from './inbound-queue';

/** What handling a master's message needs of the worker. */
export interface WorkerContext {
  audit: Audit;
  /** The number the audit trail knows the session by. */
  sessionId: number;
  host: EvalHost;
  relay: CdpRelay;
  /** Where module code the master sends goes: to the session's requests for it. */
  modules: Pick<ModuleFetcher, 'answer' | 'linkEnded'>;
  /** The link of the master being served, if any: answers that arrive late go to it. */
  current(): WorkerEnd | undefined;
  /** Checks request signatures on the current connection. */
  signing(): SignatureChecker | undefined;
  /** Why the worker is leaving, once it is: tasks that still arrive go back to the master. */
  leaving(): string | undefined;
}

/**
 * Handles one message that link `linkNumber` of the session brought; `shutdown` ends the
 * session on the master's word.
 * Returns the steps left of a frame of tasks too large to hand over at once (inbound-queue.ts).
 */
export function handleMasterMessage(
  ctx: WorkerContext,
  m: MasterToWorker,
  linkNumber: LinkNumber,
  shutdown: () => void,
): Steps | undefined {
  const { host, relay, audit } = ctx;
  switch (m.t) {
    case 'tasks': {
      if (handBack(ctx, m.tasks)) return;
      const refused = ctx.signing()?.check(m);
      if (refused) return void refuseTasks(ctx, m, refused);
      const find = formFinder(m.forms);
      if (m.forms.length + m.tasks.length > Defaults.maxTasksPerSlice) return slices(ctx, m, linkNumber, find);
      host.run(linkNumber, m.forms, m.tasks, m.resultGroup, find);
      return;
    }
    case 'agent':
      host.agent(m);
      return;
    case 'interrupt':
      host.interrupt();
      return;
    case 'debugMode':
      audit.log('state', { session: ctx.sessionId, debugger: m.on ? 'on' : 'off' });
      host.setDebugMode(m.on);
      return;
    case 'cdpOpen':
      relay.open(m.debuggerId);
      return;
    case 'cdpMessage':
      relay.message(m.debuggerId, m.message);
      return;
    case 'cdpClose':
      relay.close(m.debuggerId);
      return;
    case 'moduleCodes':
      ctx.modules.answer(m);
      return;
    case 'debugSuspend':
      host.suspend();
      return;
    case 'imageAsk':
      answerImageAsk({ busy: () => host.busy, threadId: () => host.threadId, send: (a) => ctx.current()?.send(a) }, m);
      return;
    case 'profileAsk':
      answerProfileAsk({ threadId: () => host.threadId, send: (a) => ctx.current()?.send(a) }, m);
      return;
    case 'profileStop':
      stopProfile(host.threadId, m);
      return;
    case 'debugRequest':
      host.debug.request(m.pauseId, m.req).then(
        (answer) => ctx.current()?.send({ t: 'debugResponse', reqId: m.reqId, ok: true, answer }),
        (err: CrewError) =>
          ctx.current()?.send({
            t: 'debugResponse',
            reqId: m.reqId,
            ok: false,
            code: err.code ?? ErrorCodes.Remote,
            message: err.message,
          }),
      );
      return;
    case 'shutdown':
      // One master's job ended, not the worker: it serves its other masters, and the next.
      audit.log('session', {
        session: ctx.sessionId,
        master: ctx.current()?.peer,
        ending: `the master ended its job: ${m.reason}`,
      });
      shutdown();
      return;
    case 'protocolError':
      audit.log('error', { from: 'master', code: m.code, message: m.message });
      return;
  }
}

/** Tasks sent before the master read that this worker leaves: it gives them to others. */
function handBack(ctx: WorkerContext, tasks: readonly TaskMsg[]): boolean {
  const reason = ctx.leaving();
  if (reason === undefined) return false;
  ctx.current()?.send({ t: 'leaving', reason, handBack: tasks.map((t) => t.id) });
  return true;
}

/** A large frame, a slice at a time: its forms first, so that every task finds its form defined. */
function* slices(ctx: WorkerContext, m: Tasks.Msg, linkNumber: LinkNumber, find: FormFinder): Generator<void, void> {
  const n = Defaults.maxTasksPerSlice;
  for (let i = 0; i < m.forms.length; i += n) {
    ctx.host.run(linkNumber, m.forms.slice(i, i + n), [], m.resultGroup, find);
    yield;
  }
  for (let i = 0; i < m.tasks.length; i += n) {
    // The worker may have begun to leave meanwhile: what has not gone to the thread goes back.
    if (ctx.leaving() !== undefined) return void handBack(ctx, m.tasks.slice(i));
    ctx.host.run(linkNumber, [], m.tasks.slice(i, i + n).map(ownArgs), m.resultGroup, find);
    yield;
  }
}

/**
 * A task whose argument bytes are a view into its frame gets a copy of them: a slice that
 * moved the frame's memory to the eval thread (codec's movableArgs) would take it from the
 * slices after it.
 */
function ownArgs(t: TaskMsg): TaskMsg {
  return t.args && t.args.byteLength < t.args.buffer.byteLength ? { ...t, args: t.args.slice() } : t;
}

/** Each task of a refused frame fails with the reason, so no caller waits for it. */
function refuseTasks(ctx: WorkerContext, m: Tasks.Msg, why: CrewError): void {
  ctx.audit.log('refused', { tasks: m.tasks.length, code: why.code, reason: why.message });
  const error = { name: 'CrewError', code: why.code, message: why.message, frames: [] };
  ctx.current()?.send({ t: 'results', results: m.tasks.map((t) => ({ id: t.id, ok: false as const, error, ms: 0 })) });
}
