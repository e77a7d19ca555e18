/**
 * Authentication of an editor that attaches to `crew lsp --port` over TCP, before any LSP
 * traffic. It is the worker handshake's mutual HMAC-SHA256 challenge-response over fresh
 * nonces, as JSON lines on the raw socket, with its own label so that a transcript of one
 * kind of handshake is useless for the other. The secret never crosses the wire. Both ends
 * resolve with keys derived from the secret and both nonces, for sealed-stream.ts to
 * authenticate every LSP message after it. The MACs and keys are bound to the TLS channel
 * each end sees (tls-channel.ts; tls-stream.ts makes the channel), so a man in the middle who
 * terminates TLS fails on both sides, and each says why.
 */
import type { Socket } from 'node:net';
import { crewError, ErrorCodes, type CrewError, type ErrorCode } from '../errors';
import { Defaults } from '../limits';
import { LSP_AUTH_VERSION } from '../messages/lsp-messages';
import { deriveSealKeys, type SealKeys } from './frame-seal';
import { challengeMac, freshNonce, isNonce, sameMac } from './hmac-challenge';
import { channelOf, middleSeenByDialer, middleSeenByListener } from './tls-channel';

type AuthMsg =
  | { t: 'hello'; v: number; nonce: string }
  /** `unbound`: a MAC without the channel, which tells a man in the middle from a wrong secret. */
  | { t: 'auth'; v: number; nonce: string; mac: string; unbound: string }
  | { t: 'welcome'; mac: string }
  /** `proof`, when the channels differ: the master's MAC saying so, for the editor to trust it. */
  | { t: 'refused'; code: string; message: string; proof?: string };

const MAX_LINE = 4096;

/** The version both ends compare: {@link LSP_AUTH_VERSION}, under the name this handshake uses. */
export const LSP_LINK_VERSION = LSP_AUTH_VERSION;

/** The label of this handshake's MACs, distinct from the worker handshake's. */
export const LSP_HANDSHAKE_LABEL = `crew-lsp/${LSP_LINK_VERSION}`;

type Side = 'editor' | 'master' | 'editor, unbound' | 'master, channel differs';

/** A MAC over both nonces and, but for the `unbound` kinds, the channel this end sees. */
function mac(secret: Buffer, side: Side, first: string, second: string, channel?: string): string {
  return challengeMac(secret, LSP_HANDSHAKE_LABEL, side, first, second, channel ?? 'plain');
}

/** Both directions' keys for the records after the handshake, from the secret, nonces and channel. */
function keysFor(
  secret: Buffer,
  masterNonce: string,
  editorNonce: string,
  channel: string | undefined,
  editor: boolean,
) {
  return deriveSealKeys(secret, LSP_HANDSHAKE_LABEL, `${masterNonce}\0${editorNonce}\0${channel ?? 'plain'}`, editor);
}

/** Reads JSON lines from the socket until `step` settles; later bytes are left for LSP. */
function exchange<T>(
  socket: Socket,
  peer: string,
  timeoutMs: number,
  step: (m: Partial<AuthMsg> | undefined, done: (v: T) => void, fail: (e: CrewError, proof?: string) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let settled = false;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData).off('close', onClose).off('error', onError);
      socket.pause();
    };
    const done = (v: T) => {
      if (settled) return;
      finish();
      if (buffered.length > 0) socket.unshift(buffered);
      resolve(v);
    };
    const fail = (e: CrewError, proof?: string) => {
      if (settled) return;
      finish();
      if (!socket.destroyed)
        socket.end(JSON.stringify({ t: 'refused', code: e.code, message: e.message, proof }) + '\n');
      // A peer that never reads must not keep the socket open.
      setTimeout(() => socket.destroy(), 1000).unref();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      // A TLS record where a JSON line was due: the peer dialed TLS and this end speaks plain.
      if (buffered.length === 0 && chunk[0] === 0x16 && !channelOf(socket))
        return fail(
          crewError(
            ErrorCodes.ConnectFailed,
            `${peer} speaks TLS and this end plain TCP: it listens or dials on loopback, or with --no-tls`,
          ),
        );
      buffered = Buffer.concat([buffered, chunk]);
      for (let nl = buffered.indexOf(10); nl >= 0 && !settled; nl = buffered.indexOf(10)) {
        const line = buffered.subarray(0, nl).toString('utf8');
        buffered = buffered.subarray(nl + 1);
        step(parse(line), done, fail);
      }
      if (!settled && buffered.length > MAX_LINE)
        fail(
          crewError(
            ErrorCodes.BadFrame,
            `${peer} sent ${buffered.length} bytes without a newline during authentication: ` +
              "it does not speak Crew's protocol",
          ),
        );
    };
    const onClose = () => {
      if (settled) return;
      finish();
      reject(crewError(ErrorCodes.ConnectFailed, `${peer} closed the connection during authentication`));
    };
    const onError = (err: Error) => {
      if (settled) return;
      finish();
      reject(crewError(ErrorCodes.ConnectFailed, `${peer}: ${err.message}`));
    };
    const timer = setTimeout(
      () => fail(crewError(ErrorCodes.HandshakeTimeout, `${peer} did not authenticate within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', onData).on('close', onClose).on('error', onError);
    socket.resume();
  });
}

function parse(line: string): Partial<AuthMsg> | undefined {
  try {
    const m = JSON.parse(line) as Partial<AuthMsg>;
    return typeof m === 'object' && m !== null ? m : undefined;
  } catch {
    return undefined;
  }
}

function send(socket: Socket, m: AuthMsg): void {
  socket.write(JSON.stringify(m) + '\n');
}

/**
 * The master's side: challenge, check the editor's answer, then prove itself. Resolves with
 * the link's keys and the socket paused (any early LSP bytes put back), for {@link sealedStream}.
 */
export function acceptLspAuth(
  socket: Socket,
  secret: Buffer,
  peer: string,
  timeoutMs: number = Defaults.handshakeTimeoutMs,
): Promise<SealKeys> {
  const nonce = freshNonce();
  const channel = channelOf(socket);
  const result = exchange<SealKeys>(socket, peer, timeoutMs, (m, done, fail) => {
    if (m?.t !== 'auth')
      return fail(
        crewError(ErrorCodes.BadFrame, `${peer} does not speak Crew's protocol (expected an auth line before LSP)`),
      );
    if (m.v !== LSP_LINK_VERSION)
      return fail(
        crewError(
          ErrorCodes.VersionMismatch,
          `${peer} authenticates with version ${String(m.v)}, this master with ${LSP_LINK_VERSION}: ` +
            'run the same version of Crew in the editor and the master',
        ),
      );
    const wrongSecret = () =>
      fail(crewError(ErrorCodes.AuthFailed, `${peer} failed authentication: wrong or missing secret`));
    if (!isNonce(m.nonce) || m.nonce === nonce) return wrongSecret();
    if (!sameMac(m.mac, mac(secret, 'editor', nonce, m.nonce, channel))) {
      if (!sameMac(m.unbound, mac(secret, 'editor, unbound', nonce, m.nonce))) return wrongSecret();
      return fail(
        crewError(ErrorCodes.ChannelMismatch, middleSeenByListener(peer, channel)),
        mac(secret, 'master, channel differs', m.nonce, nonce),
      );
    }
    send(socket, { t: 'welcome', mac: mac(secret, 'master', m.nonce, nonce, channel) });
    done(keysFor(secret, nonce, m.nonce, channel, false));
  });
  send(socket, { t: 'hello', v: LSP_LINK_VERSION, nonce });
  return result;
}

/**
 * The editor's side: answer the master's challenge, then check the master's proof. Leaves the
 * socket paused, as above.
 */
export function dialLspAuth(
  socket: Socket,
  secret: Buffer,
  peer: string,
  timeoutMs: number = Defaults.handshakeTimeoutMs,
): Promise<SealKeys> {
  let sent: { mine: string; theirs: string } | undefined;
  const channel = channelOf(socket);
  return exchange<SealKeys>(socket, peer, timeoutMs, (m, done, fail) => {
    if (m?.t === 'refused' && sent && sameMac(m.proof, mac(secret, 'master, channel differs', sent.mine, sent.theirs)))
      return fail(crewError(ErrorCodes.ChannelMismatch, middleSeenByDialer(`the master at ${peer}`, channel)));
    if (m?.t === 'refused') {
      const known: string[] = [ErrorCodes.AuthFailed, ErrorCodes.VersionMismatch];
      const code = known.includes(m.code ?? '') ? (m.code as ErrorCode) : ErrorCodes.ConnectFailed;
      return fail(crewError(code, `the master at ${peer} refused the connection: ${m.message}`));
    }
    if (!sent) {
      if (m?.t !== 'hello' || !isNonce(m.nonce))
        return fail(
          crewError(
            ErrorCodes.BadFrame,
            `${peer} is not a Crew master (expected its hello line): is it \`crew lsp --port\`?`,
          ),
        );
      if (m.v !== LSP_LINK_VERSION)
        return fail(
          crewError(
            ErrorCodes.VersionMismatch,
            `the master at ${peer} authenticates with version ${String(m.v)}, this editor with ${LSP_LINK_VERSION}`,
          ),
        );
      const mine = freshNonce();
      sent = { mine, theirs: m.nonce };
      send(socket, {
        t: 'auth',
        v: LSP_LINK_VERSION,
        nonce: mine,
        mac: mac(secret, 'editor', m.nonce, mine, channel),
        unbound: mac(secret, 'editor, unbound', m.nonce, mine),
      });
      return;
    }
    if (m?.t !== 'welcome' || !sameMac(m.mac, mac(secret, 'master', sent.mine, sent.theirs, channel))) {
      return fail(crewError(ErrorCodes.AuthFailed, `the master at ${peer} could not prove it knows the secret`));
    }
    done(keysFor(secret, sent.theirs, sent.mine, channel, true));
  });
}
