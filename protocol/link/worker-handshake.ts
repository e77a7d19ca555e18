/**
 * Mutual challenge-response authentication with a shared secret.
 *
 * The listening side sends a fresh nonce; the dialing side answers with its own fresh nonce
 * and an HMAC-SHA256 over both; the listener proves itself with an HMAC over both in the
 * other order. The secret never crosses the wire, and a recorded transcript is useless
 * because the other side's nonce is new each time.
 */
import { crewError, ErrorCodes, type CrewError } from '../errors';
import { Defaults } from '../limits';
import { fromMaster, fromWorker } from '../messages/worker-link-guards';
import { PROTOCOL_VERSION } from '../messages/worker-link-messages';
import { challengeMac, freshNonce, isNonce, sameMac } from './hmac-challenge';
import { CloseCodes, type HandshakeLink, type MasterEnd, type WorkerEnd } from './link';

export type Role = 'master' | 'worker';

/** Handshake frames (JSON text). */
export type HandshakeMsg =
  | { t: 'hello'; v: number; role: Role; nonce: string; member?: string }
  | { t: 'auth'; v: number; role: Role; nonce: string; mac: string; member?: string; instance?: string }
  | { t: 'welcome'; mac: string }
  | { t: 'refused'; code: string; message: string };

export interface HandshakeOptions<R extends Role = Role> {
  secret: Buffer;
  /** This end's role; it decides which direction's messages the opened link accepts. */
  role: R;
  timeoutMs?: number;
  /** CL-MW's member id: keeps different jobs apart. Not a security measure. */
  member?: string;
  /**
   * Names this end across its redials (a master's pool), so a listening worker gives a master
   * that comes back its own session. Sent by the dialing side only.
   */
  instance?: string;
}

/** The label of this handshake's MACs; the version in it keeps versions' transcripts apart. */
export const HANDSHAKE_LABEL = `crew/${PROTOCOL_VERSION}`;

const mac = (secret: Buffer, ...parts: string[]): string => challengeMac(secret, HANDSHAKE_LABEL, ...parts);

/** The link end a side gets once authenticated: a master's accepts what workers send. */
export type EndFor<R extends Role> = R extends 'master' ? MasterEnd : WorkerEnd;

/** The peer, and this end of the link, opened and typed by its direction. */
export interface Opened<R extends Role> extends PeerIdentity {
  link: EndFor<R>;
}

function openFor<R extends Role>(link: HandshakeLink, role: R): EndFor<R> {
  return (role === 'master' ? link.open(fromWorker) : link.open(fromMaster)) as EndFor<R>;
}

function parse(text: string): HandshakeMsg | undefined {
  try {
    const m = JSON.parse(text) as HandshakeMsg;
    return typeof m === 'object' && m !== null && typeof m.t === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `step` on handshake frames until it settles the handshake or time runs out. */
function run<R extends Role>(
  link: HandshakeLink,
  opts: HandshakeOptions<R>,
  step: (
    m: HandshakeMsg | undefined,
    done: (v: PeerIdentity) => void,
    fail: (e: CrewError, code: number) => void,
  ) => void,
): Promise<Opened<R>> {
  return new Promise<Opened<R>>((resolve, reject) => {
    let settled = false;
    const timeoutMs = opts.timeoutMs ?? Defaults.handshakeTimeoutMs;
    const timer = setTimeout(
      () =>
        fail(
          crewError(ErrorCodes.HandshakeTimeout, `${link.peer} did not complete the handshake within ${timeoutMs} ms`),
          CloseCodes.HandshakeTimeout,
        ),
      timeoutMs,
    );
    const done = (v: PeerIdentity) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...v, link: openFor(link, opts.role) });
    };
    const fail = (e: CrewError, code: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      link.sendText(JSON.stringify({ t: 'refused', code: e.code, message: e.message }));
      link.dispose(code, e.message);
      reject(e);
    };
    link.onText((text) => step(parse(text), done, fail));
    link.onEnd((reason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(crewError(ErrorCodes.ConnectFailed, `${link.peer} closed the connection during the handshake: ${reason}`));
    });
  });
}

export interface PeerIdentity {
  role: Role;
  member?: string;
  /** The dialing peer's {@link HandshakeOptions.instance}, when it sent a well-formed one. */
  instance?: string;
}

/** An instance id is a short token; anything else is ignored, as if none had been sent. */
function instanceOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w-]{1,64}$/.test(value) ? value : undefined;
}

function checkPeer(
  role: Role,
  peerRole: unknown,
  member: string | undefined,
  peerMember: string | undefined,
): string | undefined {
  if (peerRole !== 'master' && peerRole !== 'worker') return `unknown role ${JSON.stringify(peerRole)}`;
  if (peerRole === role) return `both ends are ${role}s`;
  if (member && peerMember && member !== peerMember)
    return `member id ${peerMember} does not match this job's ${member}`;
  return undefined;
}

/** The accepting side: challenge first, verify the answer, then prove ourselves. */
export function acceptHandshake<R extends Role>(link: HandshakeLink, opts: HandshakeOptions<R>): Promise<Opened<R>> {
  const nonce = freshNonce();
  const hello: HandshakeMsg = { t: 'hello', v: PROTOCOL_VERSION, role: opts.role, nonce, member: opts.member };
  const result = run(link, opts, (m, done, fail) => {
    if (!m || m.t !== 'auth')
      return fail(
        crewError(ErrorCodes.BadFrame, `${link.peer} does not speak Crew's protocol (expected an auth frame)`),
        CloseCodes.BadFrame,
      );
    if (m.v !== PROTOCOL_VERSION)
      return fail(
        crewError(
          ErrorCodes.AuthFailed,
          `${link.peer} speaks protocol version ${String(m.v)}, this end speaks ${PROTOCOL_VERSION}`,
        ),
        CloseCodes.AuthFailed,
      );
    const bad = checkPeer(opts.role, m.role, opts.member, m.member);
    if (bad) return fail(crewError(ErrorCodes.AuthFailed, `${link.peer} refused: ${bad}`), CloseCodes.AuthFailed);
    if (!isNonce(m.nonce) || m.nonce === nonce || !sameMac(m.mac, mac(opts.secret, 'dialer', m.role, nonce, m.nonce))) {
      return fail(
        crewError(ErrorCodes.AuthFailed, `${link.peer} failed authentication: wrong or missing secret`),
        CloseCodes.AuthFailed,
      );
    }
    link.sendText(
      JSON.stringify({
        t: 'welcome',
        mac: mac(opts.secret, 'listener', opts.role, m.nonce, nonce),
      } satisfies HandshakeMsg),
    );
    done({ role: m.role, member: m.member, instance: instanceOf(m.instance) });
  });
  link.sendText(JSON.stringify(hello));
  return result;
}

/** The dialing side: answer the challenge with our own nonce, then check the listener's proof. */
export function dialHandshake<R extends Role>(link: HandshakeLink, opts: HandshakeOptions<R>): Promise<Opened<R>> {
  let sent: { nonce: string; hello: HandshakeMsg & { t: 'hello' } } | undefined;
  return run(link, opts, (m, done, fail) => {
    if (m?.t === 'refused') {
      const code = m.code === ErrorCodes.AuthFailed ? ErrorCodes.AuthFailed : ErrorCodes.ConnectFailed;
      return fail(crewError(code, `${link.peer} refused the connection: ${m.message}`), CloseCodes.AuthFailed);
    }
    if (!sent) {
      if (!m || m.t !== 'hello' || !isNonce(m.nonce))
        return fail(
          crewError(ErrorCodes.BadFrame, `${link.peer} does not speak Crew's protocol (expected a hello frame)`),
          CloseCodes.BadFrame,
        );
      const bad = checkPeer(opts.role, m.role, opts.member, m.member);
      if (bad) return fail(crewError(ErrorCodes.AuthFailed, `refusing ${link.peer}: ${bad}`), CloseCodes.AuthFailed);
      const nonce = freshNonce();
      sent = { nonce, hello: m };
      link.sendText(
        JSON.stringify({
          t: 'auth',
          v: PROTOCOL_VERSION,
          role: opts.role,
          nonce,
          mac: mac(opts.secret, 'dialer', opts.role, m.nonce, nonce),
          member: opts.member,
          instance: opts.instance,
        } satisfies HandshakeMsg),
      );
      return;
    }
    if (
      !m ||
      m.t !== 'welcome' ||
      !sameMac(m.mac, mac(opts.secret, 'listener', sent.hello.role, sent.nonce, sent.hello.nonce))
    ) {
      return fail(
        crewError(ErrorCodes.AuthFailed, `${link.peer} could not prove it knows the secret`),
        CloseCodes.AuthFailed,
      );
    }
    done({ role: sent.hello.role, member: sent.hello.member });
  });
}
