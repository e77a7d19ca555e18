// The editor's "evaluate on all workers" and "on any worker", once every worker of the
// pool has died: they wait the no-worker grace for one and then fail with CREW_NO_WORKERS,
// instead of running the code on the master (where a form that killed its worker would kill
// the master too).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rejection, startServer } from './lsp-client.mjs';

let s;
let P;
before(async () => {
  s = await startServer();
  P = s.P;
  const r = await s.request(P.ConnectWorkers.type, { local: 1 });
  assert.deepEqual(r.errors, []);
});
after(async () => {
  await s?.stop();
});

test('after the last worker died, evaluating on all workers or on any fails, and the master runs nothing', async () => {
  const masterPid = Number((await s.request(P.EvalMaster.type, { code: 'process.pid' })).outcomes[0].value);
  const all = await s.request(P.EvalAllWorkers.type, { code: 'process.pid' });
  const workerPid = Number(all.outcomes[0].value);
  assert.notEqual(workerPid, masterPid);
  process.kill(workerPid, 'SIGKILL');
  await s.workers.next((w) => w.workers.length === 0, 'the pool to see its worker die');
  const err = await rejection(s.request(P.EvalAllWorkers.type, { code: 'globalThis.ranHere = process.pid' }));
  assert.match(err.message, /no worker is left in the pool/);
  const any = await s.request(P.EvalOn.type, { code: 'globalThis.ranHere = process.pid', worker: null });
  assert.equal(any.where, 'workers');
  assert.deepEqual(
    any.outcomes.map((o) => [o.ok, o.error?.code]),
    [[false, 'CREW_NO_WORKERS']],
  );
  const ran = await s.request(P.EvalMaster.type, { code: 'typeof globalThis.ranHere' });
  assert.equal(ran.outcomes[0].value, "'undefined'", 'nothing ran on the master');
});
