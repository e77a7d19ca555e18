/**
 * What a worker does with each message its master sends: tasks to the eval thread (after
 * their signature is checked), agent operations, interrupts, the debugger and the CDP
 * relay, and the master's shutdown.
 */
import type { Audit } from '../../protocol/audit';
import { ErrorCodes, type CrewError } from '../../protocol/errors';
import type { WorkerEnd } from '../../protocol/link/link';
import type { MasterToWorker, Tasks } from '../../protocol/messages/worker-link-messages';
import type { SignatureChecker } from '../../protocol/signing';
import type { CdpRelay } from '../debug/cdp-relay';
import type { EvalHost } from './eval-host';

/** What handling a master's message needs of the worker. */
export interface WorkerContext {
  audit: Audit;
  host: EvalHost;
  relay: CdpRelay;
  /** The link of the master being served, if any: answers that arrive late go to it. */
  current(): WorkerEnd | undefined;
  /** Checks request signatures on the current connection. */
  signing(): SignatureChecker | undefined;
  /** Why the worker is leaving, once it is: tasks that still arrive go back to the master. */
  leaving(): string | undefined;
}

/** Handles one message of session `session`; `shutdown` ends the session on the master's word. */
export function handleMasterMessage(
  ctx: WorkerContext,
  m: MasterToWorker,
  session: number,
  shutdown: () => void,
): void {
  const { host, relay, audit } = ctx;
  switch (m.t) {
    case 'tasks': {
      const leaving = ctx.leaving();
      // Sent before the master read that this worker leaves: it gives them to others.
      if (leaving !== undefined)
        return void ctx.current()?.send({ t: 'leaving', reason: leaving, handBack: m.tasks.map((t) => t.id) });
      const refused = ctx.signing()?.check(m);
      if (refused) return refuseTasks(ctx, m, refused);
      host.run(session, m.forms, m.tasks, m.resultGroup);
      return;
    }
    case 'agent':
      host.agent(m);
      return;
    case 'interrupt':
      host.interrupt();
      return;
    case 'debugMode':
      host.setDebugMode(m.on);
      return;
    case 'cdpOpen':
      relay.open(m.sid);
      return;
    case 'cdpMessage':
      relay.message(m.sid, m.message);
      return;
    case 'cdpClose':
      relay.close(m.sid);
      return;
    case 'debugSuspend':
      host.debug.suspend();
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
      audit.log('shutdown', { reason: m.reason });
      shutdown();
      return;
    case 'protocolError':
      audit.log('error', { from: 'master', code: m.code, message: m.message });
      return;
  }
}

/** Each task of a refused frame fails with the reason, so no caller waits for it. */
function refuseTasks(ctx: WorkerContext, m: Tasks.Msg, why: CrewError): void {
  ctx.audit.log('refused', { tasks: m.tasks.length, code: why.code, reason: why.message });
  const error = { name: 'CrewError', code: why.code, message: why.message, frames: [] };
  ctx.current()?.send({ t: 'results', results: m.tasks.map((t) => ({ id: t.id, ok: false as const, error, ms: 0 })) });
}
