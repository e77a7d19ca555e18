/**
 * The master's side of `profileAsk` (protocol/messages/profile-messages.ts): each request
 * waits for the answer from the very link it went out on, and fails at once when that link
 * ends. server/pool/worker-messages.ts hands every `profileAnswer` and every ended link here.
 */
import { crewError, ErrorCodes, type ErrorCode } from '../../protocol/errors';
import type { ProfileAnswer, ProfileKind } from '../../protocol/messages/profile-messages';
import type { WorkerLink } from '../pool/worker-link';

/** The link a request goes out on, as far as a request needs it. */
export type ProfiledLink = Pick<WorkerLink, 'id' | 'transport'>;

interface Pending {
  link: ProfiledLink;
  resolve(data: string): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Requests waiting for their answer, by request id: this module owns them. */
const pending = new Map<number, Pending>();
let nextReq = 1;

/** Beyond the profile's own time, how long a worker may take to answer (a large heap takes a while). */
const ANSWER_GRACE_MS = 120_000;

/**
 * Asks `link`'s worker for a profile; resolves with its JSON text. When `stop` aborts, a CPU
 * profile ends there, before its `ms`, and comes back with what it has.
 */
export function askProfile(link: ProfiledLink, what: ProfileKind, stop?: AbortSignal): Promise<string> {
  const reqId = nextReq++;
  const stopNow = () => void link.transport.send({ t: 'profileStop', reqId });
  const waitMs = (what.kind === 'cpu' ? what.ms : 0) + ANSWER_GRACE_MS;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => settle(reqId, crewError(ErrorCodes.ProfileFailed, `worker ${link.id} did not answer within ${waitMs} ms`)),
      waitMs,
    );
    pending.set(reqId, { link, resolve, reject, timer });
    if (!link.transport.send({ t: 'profileAsk', reqId, what }))
      return settle(reqId, crewError(ErrorCodes.WorkerLost, `worker ${link.id} is gone`));
    if (stop?.aborted) stopNow();
    else stop?.addEventListener('abort', stopNow, { once: true });
  }).finally(() => stop?.removeEventListener('abort', stopNow));
}

/** An answer from `link`; one for a request it was not asked, or no longer waited for, is ignored. */
export function onProfileAnswer(link: ProfiledLink, m: ProfileAnswer.Msg): void {
  const p = pending.get(m.reqId);
  if (!p || p.link !== link) return;
  if (m.ok && m.data !== undefined) return settle(m.reqId, m.data);
  const code = (m.code as ErrorCode | undefined) ?? ErrorCodes.ProfileFailed;
  settle(m.reqId, crewError(code, `worker ${link.id}: ${m.message ?? 'no profile came back'}`));
}

/** `link` ended: its requests fail, naming it. */
export function onProfiledLinkClosed(link: ProfiledLink): void {
  for (const [reqId, p] of pending)
    if (p.link === link)
      settle(reqId, crewError(ErrorCodes.WorkerLost, `worker ${link.id} went away before its profile was done`));
}

function settle(reqId: number, outcome: string | Error): void {
  const p = pending.get(reqId);
  if (!p) return;
  pending.delete(reqId);
  clearTimeout(p.timer);
  if (typeof outcome === 'string') p.resolve(outcome);
  else p.reject(outcome);
}
