// npm run bench:seal: what authenticating every frame costs, beside what making and reading
// the same frame costs already, in the same run. Each frame is sealed by its sender (an
// HMAC-SHA256 over a sequence number and the frame) and opened by its receiver; the codec
// encodes and decodes it. The frames are the shapes Crew sends most: one call's task and
// result, and a frame of a tiny map's tasks. Ratios, not absolute times.
import { randomBytes } from 'node:crypto';
import { bundleSources } from './lib/crew-protocol.mjs';

const p = await bundleSources(['protocol/codec/codec', 'protocol/link/frame-seal']);

const form = { id: 1, mode: 'value', code: 'x * x', filename: 'repl', line: 1, column: 1, cache: true };
const shapes = {
  'one call: tasks': { t: 'tasks', forms: [form], tasks: [{ id: 1, form: 1 }] },
  'one call: results': { t: 'results', results: [{ id: 1, ok: true, value: p.encodeValue(42), ms: 0 }] },
  'tiny map: 256 tasks': {
    t: 'tasks',
    forms: [],
    tasks: Array.from({ length: 256 }, (_, i) => ({ id: i + 2, form: 1, args: p.encodeValue([i]) })),
  },
  'tiny map: 256 results': {
    t: 'results',
    results: Array.from({ length: 256 }, (_, i) => ({ id: i + 2, ok: true, value: p.encodeValue(i * i), ms: 0 })),
  },
};

/** Nanoseconds per call of `fn`, the median of 7 timed blocks after a warm-up. */
function nsPer(fn, n) {
  for (let i = 0; i < n; i++) fn();
  const blocks = [];
  for (let b = 0; b < 7; b++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    blocks.push(Number(process.hrtime.bigint() - t) / n);
  }
  return blocks.sort((a, b) => a - b)[3];
}

const keys = { send: randomBytes(32), receive: randomBytes(32) };
console.log('| frame | bytes | codec encode + decode (ns) | seal + open (ns) | seal / codec |');
console.log('|---|---|---|---|---|');
for (const [name, msg] of Object.entries(shapes)) {
  const bytes = p.encodeFrame(msg);
  const n = bytes.length > 4096 ? 2_000 : 20_000;
  const codec = nsPer(() => p.decodeFrame(p.encodeFrame(msg)), n);
  // One end seals, its peer opens in the same order: a sender and a receiver with mirrored keys.
  const sender = new p.FrameSeal(keys);
  const receiver = new p.FrameSeal({ send: keys.receive, receive: keys.send });
  const seal = nsPer(() => {
    const tag = sender.tag(bytes);
    if (!receiver.open(Buffer.concat([bytes, tag]))) throw new Error('a sealed frame did not open');
  }, n);
  console.log(
    `| ${name} | ${bytes.length} | ${codec.toFixed(0)} | ${seal.toFixed(0)} | ${(seal / codec).toFixed(2)} |`,
  );
}
