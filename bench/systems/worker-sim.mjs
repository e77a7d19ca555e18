// The worker simulator: one process holding many real Crew worker connections to a master.
// Each connection dials, authenticates with the shared secret (Crew's handshake), says
// `ready`, keeps Crew's heartbeat and answers every `tasks` frame at once with a `results`
// frame in Crew's compact layout; nothing is evaluated. The master is the real one.
//
// Driven by bench/systems/scale.mjs over IPC (the secret travels there, never in arguments):
//   start {bundle, address, member, secret, count, name, heartbeatMs}  -> connected {count}
//   hold                                  -> held: tasks from now on are kept, not answered
import { hostname } from 'node:os';
import { loadProtocol } from '../lib/crew-protocol.mjs';

const links = [];
let holding = false;
let held = 0;

/** What a simulated task answers: x + 1 for a numeric first argument, 1 otherwise. */
function answer(p, task, one) {
  if (!task.args) return one;
  const args = p.decodeValue(task.args);
  return Array.isArray(args) && typeof args[0] === 'number' ? p.encodeValue(args[0] + 1) : one;
}

async function connectOne(p, opts, i) {
  const { link } = await p.dialHandshake(p.dial(opts.address), {
    secret: Buffer.from(opts.secret),
    role: 'worker',
    member: opts.member,
  });
  link.startHeartbeat(opts.heartbeatMs);
  const one = p.encodeValue(1);
  link.onMessage((m) => {
    if (m.t === 'shutdown') return link.dispose(1000, 'master shut down');
    if (m.t !== 'tasks') return;
    if (holding) return void (held += m.tasks.length);
    const results = m.tasks.map((t) => ({ id: t.id, ok: true, value: answer(p, t, one), ms: 0.001 }));
    link.sendFrame(p.encodeFrame({ t: 'results', results }));
  });
  link.send({
    t: 'ready',
    info: { name: `${opts.name}-${i}`, host: hostname(), pid: process.pid, node: process.version },
  });
  links.push(link);
}

process.on('message', (msg) => {
  if (msg.t === 'start') {
    const p = loadProtocol(msg.bundle);
    Promise.all(Array.from({ length: msg.count }, (_, i) => connectOne(p, msg, i))).then(
      () => process.send({ t: 'connected', count: links.length }),
      (err) => process.send({ t: 'failed', error: err.message }),
    );
  } else if (msg.t === 'hold') {
    holding = true;
    process.send({ t: 'held' });
  } else if (msg.t === 'count') {
    process.send({ t: 'count', held });
  } else if (msg.t === 'stop') {
    for (const l of links) l.dispose(1000, 'simulator stopped');
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ t: 'loaded' });
