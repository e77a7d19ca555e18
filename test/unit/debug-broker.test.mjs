// The master's debug broker through the little it needs of a worker's link (DebugPeer):
// questions reach the worker that owns the suspension, answers reach the caller that asked,
// and a worker that leaves ends its suspensions and fails its questions with clear codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { sentOf, testPeer } from './test-peer.mjs';

const { DebugBroker } = await loadSource('server/debug/debug-broker.ts');
const { ErrorCodes } = await loadSource('protocol/errors.ts');

function paused(pauseId, message = 'boom') {
  return {
    t: 'debugPaused',
    pauseId,
    taskId: 7,
    condition: { name: 'Error', message },
    frames: [],
  };
}

test('a suspension is reported under <worker>.<pauseId>', () => {
  const broker = new DebugBroker();
  const seen = [];
  broker.on('paused', (s) => seen.push(s));
  broker.onPaused(testPeer('w2'), paused(3));
  assert.deepEqual(
    seen.map((s) => [s.id, s.worker, s.taskId]),
    [['w2.3', 'w2', 7]],
  );
  assert.deepEqual(
    broker.list().map((s) => s.id),
    ['w2.3'],
  );
});

test('each request reaches the worker that owns the suspension, and each answer its caller', async () => {
  const broker = new DebugBroker();
  const w1 = testPeer('w1');
  const w2 = testPeer('w2');
  broker.onPaused(w1, paused(1));
  broker.onPaused(w2, paused(1));
  const fromW1 = broker.request('w1.1', { op: 'properties', objectId: 'a' });
  const fromW2 = broker.request('w2.1', { op: 'evaluate', frame: 0, expression: 'x' });
  const [toW1] = sentOf(w1, 'debugRequest');
  const [toW2] = sentOf(w2, 'debugRequest');
  assert.equal(sentOf(w1, 'debugRequest').length, 1);
  assert.equal(sentOf(w2, 'debugRequest').length, 1);
  assert.deepEqual(toW1.req, { op: 'properties', objectId: 'a' });
  assert.equal(toW1.pauseId, 1);
  assert.deepEqual(toW2.req, { op: 'evaluate', frame: 0, expression: 'x' });
  assert.notEqual(toW1.reqId, toW2.reqId);
  // Answers come back in the other order; each still settles its own request.
  broker.onResponse(w2, {
    t: 'debugResponse',
    reqId: toW2.reqId,
    ok: true,
    answer: { value: { name: 'x', value: '5' } },
  });
  broker.onResponse(w1, { t: 'debugResponse', reqId: toW1.reqId, ok: true, answer: { values: [] } });
  assert.deepEqual(await fromW1, { values: [] });
  assert.deepEqual(await fromW2, { value: { name: 'x', value: '5' } });
});

test('an error answer rejects the request; a stale one keeps its code', async () => {
  const broker = new DebugBroker();
  const w1 = testPeer('w1');
  broker.onPaused(w1, paused(1));
  const a = broker.request('w1.1', { op: 'properties', objectId: 'a' });
  const b = broker.request('w1.1', { op: 'properties', objectId: 'b' });
  const [ra, rb] = sentOf(w1, 'debugRequest');
  broker.onResponse(w1, { t: 'debugResponse', reqId: ra.reqId, ok: false, code: 'X', message: 'no such object' });
  broker.onResponse(w1, {
    t: 'debugResponse',
    reqId: rb.reqId,
    ok: false,
    code: ErrorCodes.DebugStale,
    message: 'resumed',
  });
  await assert.rejects(a, { code: ErrorCodes.Remote, message: /no such object/ });
  await assert.rejects(b, { code: ErrorCodes.DebugStale });
});

test('a worker that leaves ends its suspensions and fails what was asked of it', async () => {
  const broker = new DebugBroker();
  const w1 = testPeer('w1');
  const w2 = testPeer('w2');
  broker.onPaused(w1, paused(1));
  broker.onPaused(w2, paused(4));
  const resumed = [];
  broker.on('resumed', (id, how) => resumed.push([id, how]));
  const pending = broker.request('w1.1', { op: 'properties', objectId: 'a' });
  broker.onLinkClosed(w1);
  await assert.rejects(pending, { code: ErrorCodes.WorkerLost, message: /w1 went away/ });
  assert.equal(resumed.length, 1);
  assert.equal(resumed[0][0], 'w1.1');
  assert.match(resumed[0][1], /w1 died while suspended/);
  await assert.rejects(broker.request('w1.1', { op: 'properties', objectId: 'a' }), {
    code: ErrorCodes.DebugStale,
    message: /w1\.1 has already ended/,
  });
  assert.deepEqual(
    broker.list().map((s) => s.id),
    ['w2.4'],
    'the other worker is untouched',
  );
});

test('a request to a worker whose connection is gone rejects with CREW_WORKER_LOST at once', async () => {
  const broker = new DebugBroker();
  const w1 = testPeer('w1');
  broker.onPaused(w1, paused(2));
  w1.transport.close();
  await assert.rejects(broker.request('w1.2', { op: 'properties', objectId: 'a' }), {
    code: ErrorCodes.WorkerLost,
    message: /w1 is gone/,
  });
});

test('a resumed suspension is reported once and is no longer listed', () => {
  const broker = new DebugBroker();
  const w1 = testPeer('w1');
  const resumed = [];
  broker.on('resumed', (id, how) => resumed.push([id, how]));
  broker.onPaused(w1, paused(5));
  broker.onResumed(w1, { t: 'debugResumed', pauseId: 5, how: 'continued' });
  broker.onResumed(w1, { t: 'debugResumed', pauseId: 5, how: 'continued' });
  assert.deepEqual(resumed, [['w1.5', 'continued']]);
  assert.deepEqual(broker.list(), []);
});

test('setMode tells every worker whether to suspend at errors', () => {
  const broker = new DebugBroker();
  const peers = [testPeer('w1'), testPeer('w2')];
  broker.setMode(true, peers);
  assert.equal(broker.enabled, true);
  for (const p of peers) assert.deepEqual(sentOf(p, 'debugMode'), [{ t: 'debugMode', on: true }]);
});
