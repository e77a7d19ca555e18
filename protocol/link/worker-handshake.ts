/**
 * Mutual challenge-response authentication with a shared secret.
 *
 * The listening side sends a fresh nonce; the dialing side answers with its own fresh nonce
 * and an HMAC-SHA256 over both; the listener proves itself with an HMAC over both in the
 * other order. The secret never crosses the wire, and a recorded transcript is useless
 * because the other side's nonce is new each time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crewError, ErrorCodes, type CrewError } from '../errors';
import { Defaults } from '../limits';
import { PROTOCOL_VERSION } from '../messages/worker-link-messages';
import { CloseCodes, type Transport } from './transport';

export type Role = 'master' | 'worker';

/** Handshake frames (JSON text). */
export type HandshakeMsg =
  | { t: 'hello'; v: number; role: Role; nonce: string; member?: string }
  | { t: 'auth'; v: number; role: Role; nonce: string; mac: string; member?: string }
  | { t: 'welcome'; mac: string }
  | { t: 'refused'; code: string; message: string };

export interface HandshakeOptions {
  secret: Buffer;
  role: Role;
  timeoutMs?: number;
  /** CL-MW's member id: keeps different jobs apart. Not a security measure. */
  member?: string;
}

const NONCE_BYTES = 32;

function mac(secret: Buffer, ...parts: string[]): string {
  return createHmac('sha256', secret)
    .update(`crew/${PROTOCOL_VERSION}\0${parts.join('\0')}`)
    .digest('hex');
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function parse(text: string): HandshakeMsg | undefined {
  try {
    const m = JSON.parse(text) as HandshakeMsg;
    return typeof m === 'object' && m !== null && typeof m.t === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

function isNonce(x: unknown): x is string {
  return typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);
}

/** Runs `step` on handshake frames until it settles the handshake or time runs out. */
function run<T>(
  link: Transport,
  opts: HandshakeOptions,
  step: (m: HandshakeMsg | undefined, done: (v: T) => void, fail: (e: CrewError, code: number) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
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
    const done = (v: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      link.open();
      resolve(v);
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
export function acceptHandshake(link: Transport, opts: HandshakeOptions): Promise<PeerIdentity> {
  const nonce = randomBytes(NONCE_BYTES).toString('hex');
  const hello: HandshakeMsg = { t: 'hello', v: PROTOCOL_VERSION, role: opts.role, nonce, member: opts.member };
  const result = run<PeerIdentity>(link, opts, (m, done, fail) => {
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
    if (
      !isNonce(m.nonce) ||
      m.nonce === nonce ||
      typeof m.mac !== 'string' ||
      !sameMac(m.mac, mac(opts.secret, 'dialer', m.role, nonce, m.nonce))
    ) {
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
    done({ role: m.role, member: m.member });
  });
  link.sendText(JSON.stringify(hello));
  return result;
}

/** The dialing side: answer the challenge with our own nonce, then check the listener's proof. */
export function dialHandshake(link: Transport, opts: HandshakeOptions): Promise<PeerIdentity> {
  let sent: { nonce: string; hello: HandshakeMsg & { t: 'hello' } } | undefined;
  return run<PeerIdentity>(link, opts, (m, done, fail) => {
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
      const nonce = randomBytes(NONCE_BYTES).toString('hex');
      sent = { nonce, hello: m };
      link.sendText(
        JSON.stringify({
          t: 'auth',
          v: PROTOCOL_VERSION,
          role: opts.role,
          nonce,
          mac: mac(opts.secret, 'dialer', opts.role, m.nonce, nonce),
          member: opts.member,
        } satisfies HandshakeMsg),
      );
      return;
    }
    if (
      !m ||
      m.t !== 'welcome' ||
      typeof m.mac !== 'string' ||
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
