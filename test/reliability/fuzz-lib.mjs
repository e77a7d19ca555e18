// Random and mutated frames for fuzzing Crew's ports, from a seeded generator so a failure
// can be replayed (the seed is in the test's output).
import assert from 'node:assert/strict';
import net from 'node:net';
import { serialize } from 'node:v8';
import { codec, open, send } from './wire.mjs';

/** mulberry32: small, fast, seeded. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (xs) => xs[next.int(xs.length)];
  next.bytes = (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = next.int(256);
    return b;
  };
  return next;
}

const form = (id, code, mode = 'value') => ({ id, mode, code, filename: 'fuzz.js', line: 1, column: 1, cache: false });

/**
 * Each message both as Crew encodes it (compact layouts for tasks and results) and as plain
 * V8 serialization, which decoders also accept.
 */
const both = (msgs) => msgs.flatMap((m) => [codec.encodeFrame(m), serialize(m)]);
const v = (x) => codec.encodeValue(x);

/** Valid messages a master sends (never interrupt or shutdown: those are legal and end work). */
export function masterMessages() {
  return [
    { t: 'tasks', forms: [form(5_000_001, '1 + 1')], tasks: [{ id: 7_000_001, form: 5_000_001 }] },
    {
      t: 'tasks',
      forms: [form(5_000_002, '(x) => [x, x]', 'call')],
      tasks: [
        { id: 7_000_002, form: 5_000_002, args: v([5, 'five', [1.5, 2n]]) },
        { id: 7_000_003, form: 5_000_002, args: v([new Map([[1, new Set([2])]])]), timeoutMs: 1000 },
      ],
    },
    { t: 'tasks', forms: [], tasks: [] },
    { t: 'protocolError', code: 'CREW_BAD_FRAME', message: 'fuzz' },
  ];
}

/** Valid messages a worker sends. */
export function workerMessages() {
  return [
    {
      t: 'results',
      results: [
        { id: 7_000_001, ok: true, value: v(42), ms: 0.1 },
        { id: 7_000_004, ok: true, value: v({ a: [1, 'x', new Date(0)] }), ms: 0.2 },
      ],
    },
    {
      t: 'results',
      results: [
        {
          id: 7_000_002,
          ok: false,
          error: {
            name: 'TypeError',
            message: 'x',
            frames: [{ functionName: 'f', file: 'a.js', line: 1, column: 2, internal: false }],
          },
          ms: 1,
        },
      ],
    },
    { t: 'output', stream: 'stdout', text: 'fuzz\n' },
    { t: 'evalThreadRestarted', reason: 'fuzz' },
    { t: 'protocolError', code: 'CREW_BAD_FRAME', message: 'fuzz' },
    { t: 'ready', info: { name: 'fuzz', host: 'fuzz', pid: 1, node: 'v0' } },
  ];
}

/** Frames to mutate: each message as Crew encodes it and as plain V8. */
export const masterCorpus = () => both(masterMessages());
export const workerCorpus = () => both(workerMessages());

const WRONG = [null, undefined, 5, -1, 2 ** 53, NaN, 'x', '', true, {}, [], [null], new Uint8Array(3), 10n];

/**
 * Structure-aware frames: every tag the receiver knows, bare and with stray fields, and
 * each valid message with one field (or one field of one array element) of the wrong type.
 * Sent as plain V8, which both ends accept. These reach handlers that trust field shapes.
 */
export function shapeFrames(messages, tags) {
  const out = [];
  for (const t of tags) {
    out.push({ t });
    out.push({
      t,
      id: null,
      reqId: {},
      session: 'x',
      condition: null,
      message: 5,
      data: [null],
      op: 'x',
      to: null,
      info: 1,
      results: 1,
      forms: null,
      tasks: {},
    });
  }
  for (const m of messages) {
    for (const k of Object.keys(m)) {
      if (k === 't') continue;
      for (const bad of WRONG) out.push({ ...m, [k]: bad });
      if (Array.isArray(m[k]) && m[k].length > 0) {
        const el = m[k][0];
        out.push({ ...m, [k]: [null, ...m[k]] });
        if (typeof el === 'object' && el !== null) {
          for (const ek of Object.keys(el)) for (const bad of WRONG) out.push({ ...m, [k]: [{ ...el, [ek]: bad }] });
          if (el.error)
            for (const ek of Object.keys(el.error))
              for (const bad of WRONG) out.push({ ...m, [k]: [{ ...el, error: { ...el.error, [ek]: bad } }] });
        }
      }
      if (typeof m[k] === 'object' && m[k] !== null && !Array.isArray(m[k]) && !(m[k] instanceof Uint8Array)) {
        for (const ek of Object.keys(m[k])) for (const bad of WRONG) out.push({ ...m, [k]: { ...m[k], [ek]: bad } });
      }
    }
  }
  return out.map((msg) => ({ text: false, data: serialize(msg) }));
}

/** One mutation of `base`, or pure noise. */
export function mutate(r, base) {
  const b = Buffer.from(base);
  switch (r.int(7)) {
    case 0: // flip bits
      for (let i = 1 + r.int(4); i > 0; i--) b[r.int(b.length)] ^= 1 << r.int(8);
      return b;
    case 1: // replace bytes
      for (let i = 1 + r.int(4); i > 0; i--) b[r.int(b.length)] = r.int(256);
      return b;
    case 2: // truncate
      return b.subarray(0, r.int(b.length));
    case 3: // append noise
      return Buffer.concat([b, r.bytes(1 + r.int(64))]);
    case 4: // splice another region in
      return Buffer.concat([b.subarray(0, r.int(b.length)), r.bytes(r.int(16)), b.subarray(r.int(b.length))]);
    case 5: // noise
      return r.bytes(r.int(512));
    default: // a V8 header then noise: gets past the version check
      return Buffer.concat([Buffer.from([0xff, 0x0f]), r.bytes(r.int(128))]);
  }
}

/** Handshake-phase frames: mutated JSON, binary noise, and plausible but unauthenticated messages. */
export function handshakeFrame(r) {
  const nonce = r.bytes(32).toString('hex');
  const plausible = [
    { t: 'auth', v: 1, role: 'master', nonce, mac: r.bytes(32).toString('hex') },
    { t: 'auth', v: 1, role: 'worker', nonce, mac: r.bytes(32).toString('hex') },
    { t: 'auth', v: 1, role: 'master', nonce },
    { t: 'auth', v: 2, role: 'master', nonce, mac: '' },
    { t: 'hello', v: 1, role: 'worker', nonce },
    { t: 'welcome', mac: nonce },
    { t: 'tasks', forms: [], tasks: [] },
  ];
  const text = JSON.stringify(r.pick(plausible));
  switch (r.int(4)) {
    case 0:
      return { text: true, data: text };
    case 1:
      return { text: true, data: mutate(r, Buffer.from(text)).toString('latin1') };
    case 2:
      return { text: false, data: mutate(r, serialize({ t: 'auth', nonce })) };
    default:
      return { text: true, data: r.bytes(r.int(300)).toString('latin1') };
  }
}

/**
 * Before authentication: `connections` WebSockets each send 1-3 fuzz frames at once. Resolves
 * with how each ended; every one must be closed by the listener.
 */
export async function fuzzBeforeAuth(port, r, connections, concurrency = 24) {
  let frames = 0;
  const closes = new Map();
  let i = 0;
  const one = async () => {
    const c = open(`ws://127.0.0.1:${port}/`);
    await c.opened;
    for (let k = 1 + r.int(3); k > 0; k--) {
      const f = handshakeFrame(r);
      frames++;
      c.ws.send(f.data, { binary: !f.text });
    }
    const { code } = await c.closed;
    closes.set(code, (closes.get(code) ?? 0) + 1);
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < connections) {
        i++;
        await one();
      }
    }),
  );
  return { frames, closes };
}

/** Raw TCP noise that is not even HTTP: the listener must answer 400 and stay up. */
/**
 * Random bytes that are not an HTTP request. Empty lines alone are not: HTTP lets a server
 * skip them before a request, so such a peer is only slow, and is let go at the deadline.
 */
function junk(r) {
  const bytes = r.bytes(1 + r.int(200));
  if (bytes.every((b) => b === 0x0a || b === 0x0d)) bytes[0] = 0;
  // A first byte 0x16 starts a TLS handshake, not HTTP: the TLS tier fuzzes those.
  if (bytes[0] === 0x16) bytes[0] = 0x17;
  return bytes;
}

export async function fuzzRawTcp(port, r, count) {
  let answered400 = 0;
  for (let k = 0; k < count; k++) {
    const reply = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let got = '';
      s.on('data', (d) => (got += d.toString('latin1')));
      s.on('error', () => {});
      s.on('close', () => resolve(got));
      s.on('connect', () => s.write(Buffer.concat([junk(r), Buffer.from('\r\n\r\n')])));
    });
    if (reply.startsWith('HTTP/1.1 400')) answered400++;
  }
  return answered400;
}

/**
 * After authentication: sends each frame followed by a ping. A `protocolError` that arrives
 * before the matching pong is the peer's verdict on that frame. `onOther` sees every other
 * decoded message (results of real tasks, replay tasks...). The window stays well under
 * ws's limit of 60 pongs owed at once, past which it drops a ping-flooding peer.
 */
export async function fuzzAfterAuth(conn, frames, onOther, window = 16) {
  const verdicts = new Array(frames.length).fill(undefined);
  const errors = [];
  let acked = 0;
  let pendingBad = [];
  const waiters = [];
  conn.ws.on('pong', () => {
    verdicts[acked] = pendingBad.length > 0 ? { bad: true, errors: pendingBad } : { bad: false };
    pendingBad = [];
    acked++;
    for (const w of waiters.splice(0)) w();
  });
  conn.ws.removeAllListeners('message');
  conn.ws.on('message', (data, isBinary) => {
    let m;
    try {
      const body = isBinary ? conn.seal.open(data) : undefined;
      if (isBinary && !body) throw new Error('forged');
      m = isBinary ? codec.decodeFrame(body) : { t: 'text', data: data.toString() };
    } catch {
      errors.push('undecodable frame from the peer');
      return;
    }
    if (m?.t === 'protocolError') pendingBad.push(m);
    else onOther?.(m);
  });
  for (let k = 0; k < frames.length; k++) {
    while (k - acked >= window) {
      if (conn.ws.readyState !== 1) throw new Error(`the link closed after ${acked} of ${frames.length} fuzz frames`);
      // Woken by the next pong; the timer only bounds the wait, so a closed link is noticed.
      await new Promise((res) => {
        waiters.push(res);
        setTimeout(res, 100);
      });
    }
    const f = frames[k];
    send(conn, f.data, { binary: !f.text });
    conn.ws.ping();
  }
  while (acked < frames.length) {
    if (conn.ws.readyState !== 1) throw new Error(`the link closed after ${acked} of ${frames.length} fuzz frames`);
    await new Promise((res) => {
      waiters.push(res);
      setTimeout(res, 100);
    });
  }
  return { verdicts, errors };
}

/** Post-authentication frames: mostly mutations of `corpus`, some text, some noise. */
export function postAuthFrames(r, corpus, count) {
  const out = [];
  for (let k = 0; k < count; k++) {
    const roll = r.int(20);
    if (roll === 0) out.push({ text: true, data: JSON.stringify({ t: 'tasks', forms: [], tasks: [] }) });
    else if (roll === 1) out.push({ text: false, data: r.bytes(r.int(2048)) });
    else out.push({ text: false, data: mutate(r, r.pick(corpus)) });
  }
  return out;
}

/** The frames the peer refused; each refusal must be a CREW_BAD_FRAME with a clear message. */
export function refusedFrames(verdicts) {
  const bad = verdicts.filter((v) => v.bad);
  for (const v of bad)
    for (const e of v.errors) {
      assert.equal(e.code, 'CREW_BAD_FRAME');
      assert.ok(e.message.length > 10, `a clear message: ${e.message}`);
    }
  return bad;
}
