// Speaking Crew's wire protocol by hand, as an attacker or a fuzzer would: the handshake,
// binary frames, and a decoder for recorded WebSocket streams (client frames are masked,
// so searching raw bytes alone would miss a secret sent by a dialer).
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { loadSource } from '../helpers.mjs';

/**
 * Crew's own codec (protocol/codec/codec.ts), bundled for the tests, so frames are made and read
 * exactly as master and workers make and read them, compact layouts included.
 */
export const codec = await loadSource('protocol/codec/codec.ts');

/**
 * Crew's own challenge MAC, identities, frame keys and the worker handshake's label, so a
 * hand-made handshake is the real one.
 */
const { challengeMac } = await loadSource('protocol/link/hmac-challenge.ts');
const { HANDSHAKE_LABEL, LINK_VERSION } = await loadSource('protocol/link/worker-handshake.ts');
export const { Identity } = await loadSource('protocol/link/identity.ts');
export const { FrameSeal, deriveSealKeys } = await loadSource('protocol/link/frame-seal.ts');
export { LINK_VERSION, HANDSHAKE_LABEL };

export function mac(secret, ...parts) {
  return challengeMac(Buffer.from(secret), HANDSHAKE_LABEL, ...parts);
}

/**
 * A frame as Crew reads it: once authenticated (`seal` made), a binary frame has its tag
 * checked and removed, or is marked forged.
 */
function readAsCrew(seal, { data, isBinary }) {
  if (!isBinary || !seal) return { data, isBinary };
  const body = seal.open(data);
  return body ? { data: body, isBinary } : { data, isBinary, forged: true };
}

/** Opens a WebSocket and collects everything it receives. */
export function open(url, opts = {}) {
  const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, ...opts });
  const got = [];
  const waiters = [];
  const c = { ws, got };
  const closed = new Promise((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    got.push(readAsCrew(c.seal, { data, isBinary }));
    for (const w of waiters.splice(0)) w();
  });
  const next = async (timeoutMs = 10_000) => {
    const start = Date.now();
    while (got.length === 0) {
      if (ws.readyState === WebSocket.CLOSED) throw new Error('closed while waiting for a frame');
      if (Date.now() - start > timeoutMs) throw new Error('no frame in time');
      await new Promise((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return got.shift();
  };
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return Object.assign(c, { next, closed, opened });
}

/**
 * Authenticates as `role` to a listener on `port` with `secret`, as Crew's own dialer does:
 * the MAC and the identity's signature over the transcript, then frame keys from it. Resolves
 * with the open connection, whose `send` seals binary frames as the authenticated peer's, or
 * rejects with the listener's refusal. `identity` claims a given id (a master's, to resume).
 */
export async function authenticate(port, secret, role = 'master', member, { identity = new Identity() } = {}) {
  const c = open(`ws://127.0.0.1:${port}/`);
  await c.opened;
  const helloText = (await c.next()).data.toString();
  const hello = JSON.parse(helloText);
  const body = {
    t: 'auth',
    v: LINK_VERSION,
    role,
    nonce: randomBytes(32).toString('hex'),
    member,
    id: identity.id,
  };
  // Plain TCP on loopback: the transcript is bound to the word "plain" (tls-channel.ts).
  const unbound = `${helloText}\0${JSON.stringify(body)}`;
  const transcript = `${unbound}\0channel\0plain`;
  c.ws.send(
    JSON.stringify({
      ...body,
      proof: identity.prove(`${HANDSHAKE_LABEL}\0dialer\0${transcript}`),
      mac: mac(secret, 'dialer', transcript),
      unbound: mac(secret, 'dialer, unbound', unbound),
    }),
  );
  const answer = JSON.parse((await c.next()).data.toString());
  if (answer.t !== 'welcome') throw Object.assign(new Error(answer.message), { answer });
  if (answer.mac !== mac(secret, 'listener', transcript)) throw new Error('the listener could not prove the secret');
  c.hello = hello;
  c.seal = new FrameSeal(deriveSealKeys(Buffer.from(secret), HANDSHAKE_LABEL, transcript, true));
  // The peer's first sealed frames can come in the same read as its welcome, before the keys
  // were made here: they are opened now, in order, as they would have been on arrival.
  c.got.forEach((m, i) => (c.got[i] = readAsCrew(c.seal, m)));
  return c;
}

/**
 * Sends on a connection: a binary frame sealed as the authenticated peer's when `c` has been
 * authenticated, anything else as it is.
 */
export function send(c, data, { binary = true } = {}) {
  if (binary && c.seal) c.ws.send(Buffer.concat([data, c.seal.tag(data)]));
  else c.ws.send(data, { binary });
}

export const frame = (msg) => codec.encodeFrame(msg);

/** Splits a recorded one-direction WebSocket byte stream (after the HTTP upgrade) into unmasked payloads. */
export function decodeWsStream(buf) {
  const headerEnd = buf.indexOf('\r\n\r\n');
  let i = headerEnd >= 0 ? headerEnd + 4 : 0;
  const frames = [];
  while (i + 2 <= buf.length) {
    const opcode = buf[i] & 0x0f;
    const masked = (buf[i + 1] & 0x80) !== 0;
    let len = buf[i + 1] & 0x7f;
    let p = i + 2;
    if (len === 126) {
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      len = Number(buf.readBigUInt64BE(p));
      p += 8;
    }
    const key = masked ? buf.subarray(p, p + 4) : undefined;
    if (masked) p += 4;
    if (p + len > buf.length) break;
    const payload = Buffer.from(buf.subarray(p, p + len));
    if (key) for (let j = 0; j < payload.length; j++) payload[j] ^= key[j & 3];
    frames.push({ opcode, payload });
    i = p + len;
  }
  return { header: headerEnd >= 0 ? buf.subarray(0, headerEnd).toString('latin1') : '', frames };
}

/** Every encoding of the secret worth looking for in captured bytes. */
export function secretForms(secret) {
  const b = Buffer.from(secret);
  return [
    b,
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('base64')),
    Buffer.from(b.toString('base64url')),
    Buffer.from(secret.slice(0, 16)),
  ];
}
