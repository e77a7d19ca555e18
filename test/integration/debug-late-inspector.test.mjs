// While debugging, a task waits until its eval thread's debugger is set, even when the
// thread's inspector is reached late: otherwise its throw would not suspend. The workers
// here hear of each thread's inspector 1.5 s late (fixtures/late-thread-inspector.cjs).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { connectWorkers, ErrorCodes, evalOn, RemoteError } from 'crew';
import { mustNotEnd, SECRET, startCrew, within } from '../helpers.mjs';

const late = join(import.meta.dirname, 'fixtures', 'late-thread-inspector.cjs');
let worker;
let pool;

before(async () => {
  worker = await startCrew(['worker', '--port', '0'], {
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(late)}` },
    readyPattern: /listening on [\d.]+:(\d+)/,
  });
  pool = await connectWorkers([`127.0.0.1:${worker.match[1]}`], { secret: SECRET, redial: false });
});

after(async () => {
  await pool?.close();
  worker?.child.kill('SIGKILL');
});

/** The suspension of `call`, which must not end before suspending. */
function suspensionOf(call) {
  const paused = new Promise((resolve) => pool.debug.once('paused', resolve));
  return within(Promise.race([paused, mustNotEnd(call, 'suspending')]), 'a suspension', {
    explain: () => `the worker's stderr:\n${worker.stderr}`,
  });
}

async function abort(s, call) {
  await pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
  await assert.rejects(call, (err) => err instanceof RemoteError);
}

test('a throw in the first task after debugging is switched on suspends', async () => {
  pool.setDebugOnError(true);
  const call = evalOn(pool, 'w1', 'throw new RangeError("first")');
  const s = await suspensionOf(call);
  assert.equal(s.condition.message, 'first');
  await abort(s, call);
});

test('a throw in the first task of a fresh eval thread suspends', async () => {
  await assert.rejects(evalOn(pool, 'w1', 'process.exit(3)'), (err) => err.code === ErrorCodes.EvalThreadDied);
  const call = evalOn(pool, 'w1', 'throw new RangeError("fresh")');
  const s = await suspensionOf(call);
  assert.equal(s.condition.message, 'fresh');
  await abort(s, call);
  assert.equal(await evalOn(pool, 'w1', '6 * 7'), 42);
});
