// The debug agent's connection to the eval thread's inspector, on real threads of this process:
// what was asked of a thread fails when another thread is followed or the connection closes
// (its answer would never be read), and closing lets a thread it paused go.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { loadSource } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';

const { EvalThreadInspector } = await loadSource('worker/debug/eval-thread-inspector.ts');

/** A thread that says `tick` every few milliseconds while it runs. */
async function tickingThread() {
  const thread = new Worker(
    "const { parentPort } = require('node:worker_threads'); setInterval(() => parentPort.postMessage('tick'), 5)",
    { eval: true },
  );
  await new Promise((resolve) => thread.once('online', resolve));
  return thread;
}

/** An inspector following `thread`, once its inspector can be spoken to; `paused` resolves at its first pause. */
async function following(thread) {
  let attached;
  let paused;
  const ready = new Promise((resolve) => (attached = resolve));
  const firstPause = new Promise((resolve) => (paused = resolve));
  const inspector = new EvalThreadInspector({ attached, paused, resumed: () => {} });
  inspector.follow(thread.threadId);
  await ready;
  return { inspector, firstPause };
}

/** A question the thread never answers: a promise that never settles, awaited. */
const unanswered = (inspector) =>
  inspector.send('Runtime.evaluate', { expression: 'new Promise(() => {})', awaitPromise: true });

const stale = (why) => (err) => err.code === 'CREW_DEBUG_STALE' && why.test(err.message);

test('following another thread fails what was asked of the old one', { timeout: scaled(20_000) }, async () => {
  const [a, b] = [await tickingThread(), await tickingThread()];
  const { inspector } = await following(a);
  try {
    await inspector.send('Runtime.enable');
    const asked = unanswered(inspector);
    inspector.follow(b.threadId);
    await assert.rejects(asked, stale(/replaced/));
  } finally {
    inspector.close();
    await Promise.all([a.terminate(), b.terminate()]);
  }
});

test(
  'closing fails what is asked, lets a paused thread go, and ends the connection',
  { timeout: scaled(20_000) },
  async () => {
    const thread = await tickingThread();
    const { inspector, firstPause } = await following(thread);
    try {
      await inspector.send('Debugger.enable');
      await inspector.send('Debugger.pause');
      await firstPause;
      const asked = unanswered(inspector);
      // Paused: no tick comes until the thread is let go.
      const ticked = new Promise((resolve) => thread.once('message', resolve));
      inspector.close();
      await assert.rejects(asked, stale(/closed/));
      assert.equal(await ticked, 'tick', 'the thread runs again');
      assert.equal(inspector.attached, false);
      await assert.rejects(inspector.send('Runtime.evaluate', { expression: '1' }), stale(/not attached/));
    } finally {
      await thread.terminate();
    }
  },
);
