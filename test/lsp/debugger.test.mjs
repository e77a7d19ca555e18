// The debugger over LSP, driven as the extension drives it: a throw on a worker arrives as
// crew/debugPaused with live frames; locals, evaluation in a frame and a restart go back
// through the master; a stale restart is refused; nothing blocks without an editor that debugs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { Inbox, startServer } from './lsp-client.mjs';

let s;
let P;
let D;
const paused = new Inbox();
const resumed = new Inbox();

before(async () => {
  D = await loadSource('protocol/messages/lsp-debug-messages.ts');
  s = await startServer();
  P = s.P;
  s.connection.onNotification(D.DebugPaused.type, (x) => paused.push(x));
  s.connection.onNotification(D.DebugResumed.type, (x) => resumed.push(x));
  await s.request(P.ConnectWorkers.type, { local: 2 });
  await s.request(P.EvalAllWorkers.type, {
    code:
      'function area(w: number, h: number): number {\n' +
      '  const sides = [w, h];\n  if (h < 0) throw new RangeError(`negative ' +
      'height ${h}`);\n  return w * h;\n}',
    filename: '/work/geometry.ts',
    line: 1,
    replay: true,
  });
});
after(async () => {
  await s?.stop();
});

test('without an editor that debugs, a throw answers at once with the error', async () => {
  const r = await s.request(P.EvalOn.type, { code: 'area(2, -1)', worker: 'w1', filename: '/work/main.ts', line: 4 });
  assert.equal(r.outcomes[0].ok, false);
  assert.equal(r.outcomes[0].error.name, 'RangeError');
});

test('a throw on a worker suspends; the editor reads locals, evaluates in the frame and returns a value', async () => {
  await s.request(D.SetDebugOnError.type, { on: true, graceMs: 2000 });
  const pending = s.request(P.EvalAllWorkers.type, { code: 'area(3, -2)', filename: '/work/main.ts', line: 9 });
  const first = await paused.next(() => true, 'crew/debugPaused');
  assert.equal(first.condition.name, 'RangeError');
  assert.equal(first.condition.message, 'negative height -2');
  assert.deepEqual(
    [first.frames[0].functionName, first.frames[0].file, first.frames[0].line],
    ['area', '/work/geometry.ts', 3],
  );
  const local = first.frames[0].scopes.find((x) => x.type === 'local');
  const values = await s.request(D.DebugProperties.type, { suspension: first.id, objectId: local.objectId });
  const sides = values.find((v) => v.name === 'sides');
  assert.equal(sides.value, 'Array(2)');
  const items = await s.request(D.DebugProperties.type, { suspension: first.id, objectId: sides.objectId });
  assert.deepEqual(
    items.filter((v) => /^\d$/.test(v.name)).map((v) => v.value),
    ['3', '-2'],
    'objects expand lazily',
  );
  const ev = await s.request(D.DebugEvaluate.type, { suspension: first.id, frame: 0, expression: 'w * -h' });
  assert.equal(ev.value, '6');
  const second = await paused.next((x) => x.id !== first.id, 'the other worker suspends too');
  assert.notEqual(second.worker, first.worker);
  assert.deepEqual(
    await s.request(D.DebugRestartRequest.type, {
      suspension: first.id,
      restart: { kind: 'return', expression: 'w * -h' },
    }),
    { how: 'returned a value' },
  );
  assert.deepEqual(await resumed.next((x) => x.id === first.id, 'crew/debugResumed'), {
    id: first.id,
    how: 'returned a value',
  });
  await s.request(D.DebugRestartRequest.type, { suspension: second.id, restart: { kind: 'abort' } });
  const r = await pending;
  const byWorker = Object.fromEntries(r.outcomes.map((o) => [o.worker, o]));
  assert.equal(byWorker[first.worker].value, '6');
  assert.equal(byWorker[second.worker].ok, false);
  assert.equal(byWorker[second.worker].error.name, 'RangeError');
  await assert.rejects(
    s.request(D.DebugRestartRequest.type, { suspension: first.id, restart: { kind: 'abort' } }),
    (err) => /already ended; nothing was done/.test(err.message),
  );
  await assert.rejects(
    s.request(D.DebugRestartRequest.type, { suspension: first.id, restart: { kind: 'explode' } }),
    (err) => /needs \{ suspension, restart/.test(err.message),
  );
});
