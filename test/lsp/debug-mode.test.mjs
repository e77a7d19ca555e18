// Whether workers suspend at errors is told to each worker once per change: a debugging
// editor's evaluations and a worker joining (each a workers event) send nothing more, a worker
// that joins hears the mode once, and turning it off reaches each worker once. Each worker
// counts what it heard in its own audit trail (`state session=N debugger=on|off`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadSource, startCrew, tempDir } from '../helpers.mjs';
import { startServer } from './lsp-client.mjs';

/** The secret startServer's master reads (lsp-client.mjs's secretFile). */
const LSP_SECRET = 'lsp-test-secret-0123456789abcdef';

let s;
let P;
let D;
const workers = [];

/** A listening worker with an audit file of its own, and the debug modes it has heard so far. */
async function listeningWorker() {
  const audit = join(tempDir(), 'audit.log');
  const w = await startCrew(['worker', '--port', '0', '--audit-file', audit], {
    env: { CREW_SECRET: LSP_SECRET },
    readyPattern: /listening on 127\.0\.0\.1:(\d+)/,
  });
  workers.push(w);
  return {
    address: `127.0.0.1:${w.match[1]}`,
    modes: () => readFileSync(audit, 'utf8').match(/debugger=(on|off)/g) ?? [],
  };
}

/** Evaluates on every worker and waits for the workers event that follows. */
async function evaluateAndHearWorkers(code) {
  s.workers.clear();
  await s.request(P.EvalAllWorkers.type, { code });
  await s.workers.next(() => true, 'a workers event after an evaluation');
}

/**
 * Whatever the master sent a worker before this reached it before this evaluation's task:
 * each link carries its messages in order, and a worker handles them in order.
 */
async function barrier() {
  await s.request(P.EvalAllWorkers.type, { code: 'null' });
}

before(async () => {
  D = await loadSource('protocol/messages/lsp-debug-messages.ts');
  s = await startServer();
  P = s.P;
});
after(async () => {
  await s?.stop();
  for (const w of workers) w.child.kill();
  await Promise.all(workers.map((w) => w.exited));
});

test('a change of debug mode reaches each worker once, and a worker that joins hears it once', async () => {
  const [a, b] = [await listeningWorker(), await listeningWorker()];
  const joined = await s.request(P.ConnectWorkers.type, { addresses: [a.address, b.address] });
  assert.deepEqual(joined.errors, []);
  await s.request(D.SetDebugOnError.type, { on: true, graceMs: 1000 });
  // The same editor saying so again is no change.
  await s.request(D.SetDebugOnError.type, { on: true, graceMs: 1000 });
  for (let i = 0; i < 3; i++) await evaluateAndHearWorkers(`${i}`);
  await barrier();
  assert.deepEqual(a.modes(), ['debugger=on']);
  assert.deepEqual(b.modes(), ['debugger=on']);

  const c = await listeningWorker();
  assert.deepEqual((await s.request(P.ConnectWorkers.type, { addresses: [c.address] })).errors, []);
  for (let i = 0; i < 2; i++) await evaluateAndHearWorkers(`${i}`);
  await barrier();
  assert.deepEqual(c.modes(), ['debugger=on'], 'the worker that joined hears the mode once');
  assert.deepEqual(a.modes(), ['debugger=on'], 'a worker joining tells the others nothing');
  assert.deepEqual(b.modes(), ['debugger=on']);

  await s.request(D.SetDebugOnError.type, { on: false });
  await evaluateAndHearWorkers('1');
  await barrier();
  for (const w of [a, b, c]) assert.deepEqual(w.modes(), ['debugger=on', 'debugger=off']);
});
