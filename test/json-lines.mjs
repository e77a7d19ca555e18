// The JSON-lines RPC between a test and a master it runs in a process of its own
// (test/reliability/fixtures/master.mjs, test/integration/fixtures/fleet-master.mjs): requests
// `{ id, op, args }` on the child's stdin, answers `{ id, ok, value | code, error }` and any
// other message (audit and progress lines) on its stdout.
import { createInterface } from 'node:readline';

/** In the child: one JSON line out. */
export const out = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');

/** In the child: answers each request by running `ops[op](...args)`; exits when stdin ends. */
export function serveOps(ops) {
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { id, op, args = [] } = JSON.parse(line);
    Promise.resolve()
      .then(() => ops[op](...args))
      .then(
        (value) => out({ id, ok: true, value }),
        (err) => out({ id, ok: false, code: err.code, error: err.message }),
      );
  });
  process.stdin.on('end', () => process.exit(0));
}

/**
 * In the test: `call(op, ...args)` on `child`, whose answers settle the calls; every other
 * message goes to `other`. Calls still waiting when the child exits reject.
 */
export function rpcClient(child, other) {
  const pending = new Map();
  let nextId = 1;
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const p = msg.id && pending.get(msg.id);
      if (!p) {
        other(msg);
        continue;
      }
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(Object.assign(new Error(msg.error), { code: msg.code }));
    }
  });
  child.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error('the master process exited'));
    pending.clear();
  });
  return (op, ...args) => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.stdin.write(JSON.stringify({ id, op, args }) + '\n');
    });
  };
}
