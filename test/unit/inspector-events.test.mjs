// The eval thread's inspector events reach the worker's main thread by V8 interrupt, in the
// middle of whatever JavaScript runs there. A listener that sends a frame from there can
// overtake a frame half sent. Crew's listeners run on a turn of their own, in order.
import assert from 'node:assert/strict';
import { Session } from 'node:inspector';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { loadSource } from '../helpers.mjs';

const { onInspectorEvent } = await loadSource('worker/debug/inspector-events.ts');

/**
 * Runs a busy loop on this thread while a worker thread's inspector sends `count` messages,
 * and says how many listener calls `listen` saw inside that synchronous code and how many in all.
 */
async function eventsDuringBusyLoop(listen, count = 200) {
  const thread = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await new Promise((r) => thread.once('online', r));
  const session = new Session();
  session.connect();
  let inLoop = false;
  const seen = { inLoop: 0, all: 0, order: [] };
  let sessionId;
  const attached = new Promise((resolve) =>
    session.on('NodeWorker.attachedToWorker', ({ params }) => resolve((sessionId = params.sessionId))),
  );
  // What arrives, whenever it arrives: the loop below waits for all of it.
  let arrived = 0;
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    if (params.sessionId === sessionId) arrived++;
  });
  listen(session, (params) => {
    if (params.sessionId !== sessionId) return;
    seen.all++;
    if (inLoop) seen.inLoop++;
    seen.order.push(JSON.parse(params.message).id);
  });
  session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  await attached;
  inLoop = true;
  for (let id = 1; id <= count; id++)
    session.post('NodeWorker.sendMessageToWorker', {
      sessionId,
      message: JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression: '1' } }),
    });
  // Busy, as a form or a frame encoding is, until every reply has reached this thread.
  const end = Date.now() + 30_000;
  while (arrived < count && Date.now() < end);
  inLoop = false;
  assert.equal(arrived, count, 'every reply reached this thread during the busy loop');
  const done = Date.now() + 10_000;
  while (seen.all < count && Date.now() < done) await new Promise((r) => setImmediate(r));
  session.disconnect();
  await thread.terminate();
  return seen;
}

test('a raw inspector listener is called inside a busy loop: the hazard is real here', async () => {
  const seen = await eventsDuringBusyLoop((session, handler) =>
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => handler(params)),
  );
  assert.equal(seen.all, 200);
  assert.equal(seen.inLoop, 200, 'every call came inside the synchronous code');
});

test("Crew's inspector listeners never run inside other code, and keep the events' order", async () => {
  const seen = await eventsDuringBusyLoop((session, handler) =>
    onInspectorEvent(session, 'NodeWorker.receivedMessageFromWorker', handler),
  );
  assert.equal(seen.all, 200, 'every event reached the listener');
  assert.equal(seen.inLoop, 0, 'none inside the busy loop');
  assert.deepEqual(
    seen.order,
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
});
