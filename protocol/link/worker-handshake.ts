/**
 * Mutual challenge-response authentication with a shared secret, bound to who each end is.
 *
 * The listening side says hello: a fresh nonce, its role, its job's member id and its
 * identity. The dialing side answers with the same of its own and an HMAC-SHA256 over the
 * whole transcript (the hello's exact text and its own answer), and signs the transcript
 * with its identity's key; the listener proves itself with an HMAC and a signature of its
 * own over the same transcript. So nothing either end relies on is outside a MAC: a relay
 * can neither rewrite a claim nor move an answer to another listener, a recorded transcript
 * is useless against a fresh nonce, and an id is only ever claimed by its key's holder.
 * The secret never crosses the wire. Every frame after the handshake is authenticated with
 * keys derived from the secret and the transcript (frame-seal.ts). The transcript is bound to
 * the TLS channel each end sees (tls-channel.ts), so a man in the middle who terminates TLS
 * fails on both sides, and each says why.
 */
import { crewError, ErrorCodes, type CrewError, type ErrorCode } from '../errors';
import { Defaults } from '../limits';
import { fromMaster, fromWorker } from '../messages/worker-link-guards';
import { checkPeer, LINK_VERSION, versionProblem, type Role } from './handshake-checks';
import { deriveSealKeys, FrameSeal, type SealKeys } from './frame-seal';
import { challengeMac, freshNonce, isNonce, sameMac } from './hmac-challenge';
import { Identity, isIdentity, proves } from './identity';
import { CloseCodes, type HandshakeLink, type MasterEnd, type WorkerEnd } from './link';
import { boundTo, middleSeenByDialer, middleSeenByListener } from './tls-channel';

export { LINK_VERSION, type Role };

/** Handshake frames (JSON text). */
export type HandshakeMsg =
  | { t: 'hello'; v: number; role: Role; nonce: string; member?: string; id: string }
  | {
      t: 'auth';
      v: number;
      role: Role;
      nonce: string;
      member?: string;
      id: string;
      proof: string;
      mac: string;
      /** A MAC over the transcript without the channel: it tells a man in the middle from a wrong secret. */
      unbound: string;
    }
  | { t: 'welcome'; proof: string; mac: string }
  /** `proof`, when the channels differ: the listener's MAC saying so, for the dialer to trust it. */
  | { t: 'refused'; code: string; message: string; proof?: string };

export interface HandshakeOptions<R extends Role = Role> {
  secret: Buffer;
  /** This end's role; it decides which direction's messages the opened link accepts. */
  role: R;
  timeoutMs?: number;
  /** CL-MW's member id: keeps different jobs apart. Bound into the MACs, so not rewritable. */
  member?: string;
  /**
   * Who this end is across its connections (a master's pool, a worker process): a listening
   * worker gives a master that comes back its own session by it. A fresh one when not given.
   */
  identity?: Identity;
  /**
   * Says why a peer must be refused, given what it claims to be; undefined to go on. A dialer
   * asks before it answers the hello, a listener once the peer has proven its claims.
   */
  vetPeer?: (peer: PeerIdentity) => string | undefined;
}

/** The label of this handshake's MACs; the version in it keeps versions' transcripts apart. */
export const HANDSHAKE_LABEL = `crew/${LINK_VERSION}`;

const mac = (secret: Buffer, ...parts: string[]): string => challengeMac(secret, HANDSHAKE_LABEL, ...parts);

/** The link end a side gets once authenticated: a master's accepts what workers send. */
export type EndFor<R extends Role> = R extends 'master' ? MasterEnd : WorkerEnd;

/** The peer, and this end of the link, opened and typed by its direction. */
export interface Opened<R extends Role> extends PeerIdentity {
  link: EndFor<R>;
}

function openFor<R extends Role>(link: HandshakeLink, role: R, keys: SealKeys): EndFor<R> {
  const seal = new FrameSeal(keys);
  return (role === 'master' ? link.open(fromWorker, seal) : link.open(fromMaster, seal)) as EndFor<R>;
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
  side: 'dialer' | 'listener',
  link: HandshakeLink,
  opts: HandshakeOptions<R>,
  step: (
    m: HandshakeMsg | undefined,
    done: (v: PeerIdentity, keys: SealKeys) => void,
    fail: (e: CrewError, code: number, proof?: string) => void,
    text: string,
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
    const done = (v: PeerIdentity, keys: SealKeys) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...v, link: openFor(link, opts.role, keys) });
    };
    const fail = (e: CrewError, code: number, proof?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      link.sendText(JSON.stringify({ t: 'refused', code: e.code, message: e.message, proof }));
      link.dispose(code, e.message);
      reject(e);
    };
    let heard = false;
    link.onText((text) => {
      heard = true;
      step(parse(text), done, fail, text);
    });
    link.onEnd((reason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(crewError(ErrorCodes.ConnectFailed, `${endedBefore(side, link.peer, heard)}: ${reason}`));
    });
  });
}

/** A link that ended before the handshake settled: a refused dial is no handshake cut short. */
function endedBefore(side: 'dialer' | 'listener', peer: string, heard: boolean): string {
  if (heard) return `${peer} closed the connection during the handshake`;
  return side === 'dialer' ? `cannot connect to ${peer}` : `${peer} closed the connection before authenticating`;
}

/** What the peer is, as the handshake proved it. */
export interface PeerIdentity {
  role: Role;
  member?: string;
  /** The peer's {@link Identity} id, proven by its signature over this handshake. */
  id: string;
}

/** The transcript every MAC, signature and frame key covers: the hello as sent, then the answer. */
function transcriptOf(helloText: string, authBody: string): string {
  return `${helloText}\0${authBody}`;
}

/** What each end signs: the transcript, labelled by the signer's side so no proof is reflected. */
const signed = (side: 'dialer' | 'listener', transcript: string) => `${HANDSHAKE_LABEL}\0${side}\0${transcript}`;

/** The accepting side: challenge first, verify the answer, then prove ourselves. */
export function acceptHandshake<R extends Role>(link: HandshakeLink, opts: HandshakeOptions<R>): Promise<Opened<R>> {
  const identity = opts.identity ?? new Identity();
  const hello: HandshakeMsg = {
    t: 'hello',
    v: LINK_VERSION,
    role: opts.role,
    nonce: freshNonce(),
    member: opts.member,
    id: identity.id,
  };
  const helloText = JSON.stringify(hello);
  const result = run('listener', link, opts, (m, done, fail) => {
    if (!m || m.t !== 'auth')
      return fail(
        m?.t === 'refused' // a dialer of another job, say, that refuses this end
          ? crewError(
              ErrorCodes.AuthFailed,
              `${link.peer} refused this ${opts.role}: ${String(m.message).slice(0, 300)}`,
            )
          : crewError(ErrorCodes.BadFrame, `${link.peer} does not speak Crew's protocol (expected an auth frame)`),
        CloseCodes.BadFrame,
      );
    const mismatch = versionProblem(link.peer, m.v);
    if (mismatch) return fail(mismatch, CloseCodes.AuthFailed);
    const bad = checkPeer(opts.role, m.role, opts.member, m.member);
    if (bad) return fail(crewError(ErrorCodes.AuthFailed, `${link.peer} refused: ${bad}`), CloseCodes.AuthFailed);
    // The answer's own fields, as the dialer serialized them: JSON.parse keeps their order.
    const { mac: answerMac, proof, unbound, ...body } = m;
    const open = transcriptOf(helloText, JSON.stringify(body));
    const transcript = boundTo(open, link.channel);
    const wrongSecret = () =>
      fail(
        crewError(ErrorCodes.AuthFailed, `${link.peer} failed authentication: wrong or missing secret`),
        CloseCodes.AuthFailed,
      );
    if (!isNonce(m.nonce) || m.nonce === hello.nonce) return wrongSecret();
    if (!sameMac(answerMac, mac(opts.secret, 'dialer', transcript))) {
      if (!sameMac(unbound, mac(opts.secret, 'dialer, unbound', open))) return wrongSecret();
      // The dialer proved the secret, so it may be told, with a proof of ours, what went wrong.
      return fail(
        crewError(ErrorCodes.ChannelMismatch, middleSeenByListener(link.peer, link.channel)),
        CloseCodes.AuthFailed,
        mac(opts.secret, 'listener, channel differs', open),
      );
    }
    if (!proves(m.id, signed('dialer', transcript), proof))
      return fail(
        crewError(ErrorCodes.AuthFailed, `${link.peer} failed authentication: it could not prove its identity`),
        CloseCodes.AuthFailed,
      );
    const peer: PeerIdentity = { role: m.role, member: m.member, id: m.id };
    const refused = opts.vetPeer?.(peer);
    if (refused)
      return fail(crewError(ErrorCodes.AuthFailed, `${link.peer} refused: ${refused}`), CloseCodes.AuthFailed);
    link.sendText(
      JSON.stringify({
        t: 'welcome',
        proof: identity.prove(signed('listener', transcript)),
        mac: mac(opts.secret, 'listener', transcript),
      } satisfies HandshakeMsg),
    );
    done(peer, deriveSealKeys(opts.secret, HANDSHAKE_LABEL, transcript, false));
  });
  link.sendText(helloText);
  return result;
}

/** The dialing side: answer the challenge with our own nonce, then check the listener's proof. */
export function dialHandshake<R extends Role>(link: HandshakeLink, opts: HandshakeOptions<R>): Promise<Opened<R>> {
  const identity = opts.identity ?? new Identity();
  let sent: { transcript: string; open: string; peer: PeerIdentity } | undefined;
  return run('dialer', link, opts, (m, done, fail, text) => {
    if (m?.t === 'refused' && sent && sameMac(m.proof, mac(opts.secret, 'listener, channel differs', sent.open)))
      return fail(
        crewError(ErrorCodes.ChannelMismatch, middleSeenByDialer(link.peer, link.channel)),
        CloseCodes.AuthFailed,
      );
    if (m?.t === 'refused') {
      const known: string[] = [ErrorCodes.AuthFailed, ErrorCodes.VersionMismatch];
      const code = known.includes(m.code) ? (m.code as ErrorCode) : ErrorCodes.ConnectFailed;
      return fail(crewError(code, `${link.peer} refused the connection: ${m.message}`), CloseCodes.AuthFailed);
    }
    if (!sent) {
      if (!m || m.t !== 'hello' || !isNonce(m.nonce) || !isIdentity(m.id))
        return fail(
          crewError(ErrorCodes.BadFrame, `${link.peer} does not speak Crew's protocol (expected a hello frame)`),
          CloseCodes.BadFrame,
        );
      const mismatch = versionProblem(link.peer, m.v);
      if (mismatch) return fail(mismatch, CloseCodes.AuthFailed);
      const bad = checkPeer(opts.role, m.role, opts.member, m.member);
      if (bad) return fail(crewError(ErrorCodes.AuthFailed, `refusing ${link.peer}: ${bad}`), CloseCodes.AuthFailed);
      // Not yet proven, but refusing on a false claim only costs the one who made it.
      const peer: PeerIdentity = { role: m.role, member: m.member, id: m.id };
      const refused = opts.vetPeer?.(peer);
      if (refused)
        return fail(crewError(ErrorCodes.AuthFailed, `refusing ${link.peer}: ${refused}`), CloseCodes.AuthFailed);
      // The hello exactly as it came: the transcript is its text, not a re-serialization.
      const helloText = text;
      const body = {
        t: 'auth' as const,
        v: LINK_VERSION,
        role: opts.role,
        nonce: freshNonce(),
        member: opts.member,
        id: identity.id,
      };
      const open = transcriptOf(helloText, JSON.stringify(body));
      const transcript = boundTo(open, link.channel);
      sent = { transcript, open, peer };
      link.sendText(
        JSON.stringify({
          ...body,
          proof: identity.prove(signed('dialer', transcript)),
          mac: mac(opts.secret, 'dialer', transcript),
          unbound: mac(opts.secret, 'dialer, unbound', open),
        } satisfies HandshakeMsg),
      );
      return;
    }
    if (!m || m.t !== 'welcome' || !sameMac(m.mac, mac(opts.secret, 'listener', sent.transcript))) {
      return fail(
        crewError(ErrorCodes.AuthFailed, `${link.peer} could not prove it knows the secret`),
        CloseCodes.AuthFailed,
      );
    }
    if (!proves(sent.peer.id, signed('listener', sent.transcript), m.proof))
      return fail(
        crewError(ErrorCodes.AuthFailed, `${link.peer} could not prove it is the ${sent.peer.role} it said it was`),
        CloseCodes.AuthFailed,
      );
    done(sent.peer, deriveSealKeys(opts.secret, HANDSHAKE_LABEL, sent.transcript, true));
  });
}
