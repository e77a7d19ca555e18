// A worker told to stop is gone within seconds, whatever its eval thread is doing: here the
// thread is held suspended at a throw, with a DevTools client (VS Code's own debugger, say)
// attached through the master, which an orderly close would wait for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { cdpAddress, connectWorkers, evalOn } from 'crew';
import { SECRET, startCrew, within } from '../helpers.mjs';

/** A `crew worker` whose eval thread is suspended at a throw, with a DevTools client attached. */
async function suspendedWorker(args) {
  const worker = await startCrew(['worker', '--port', '0', ...args], { readyPattern: /listening on [\d.]+:(\d+)/ });
  const pool = await connectWorkers([`127.0.0.1:${worker.match[1]}`], { secret: SECRET, redial: false });
  pool.setDebugOnError(true);
  const paused = new Promise((resolve) => pool.debug.once('paused', resolve));
  const call = evalOn(pool, null, 'throw new Error("held")').catch((err) => err);
  await within(paused, 'the throw to suspend', { explain: shown(worker, call) });
  const devtools = new WebSocket(await cdpAddress(pool, pool.workers[0].id));
  await new Promise((resolve, reject) => devtools.on('open', resolve).on('error', reject));
  const debuggerPaused = new Promise((resolve) =>
    devtools.on('message', (d) => JSON.parse(String(d)).method === 'Debugger.paused' && resolve()),
  );
  // What DevTools sends as it attaches: enable, then say it is set up.
  devtools.send(JSON.stringify({ id: 1, method: 'Debugger.enable' }));
  devtools.send(JSON.stringify({ id: 2, method: 'Runtime.runIfWaitingForDebugger' }));
  await within(debuggerPaused, 'DevTools to hear of the pause', { explain: shown(worker) });
  return { worker, pool, call, devtools };
}

/** What a wait on `worker` that ran out shows: the call's state, and the worker's stderr. */
const shown = (worker, call) => async () => {
  const settled = call && (await Promise.race([call, new Promise((r) => setImmediate(r, 'still running'))]));
  return `the call: ${settled}; the worker's stderr:\n${worker.stderr}`;
};

for (const [how, args, stop] of [
  ['SIGTERM', [], (w) => w.child.kill('SIGTERM')],
  ['its stdin closing under --exit-with-parent', ['--exit-with-parent'], (w) => w.child.stdin.end()],
]) {
  test(`a worker suspended in the debugger, with DevTools attached, exits on ${how}`, async () => {
    const { worker, pool, call, devtools } = await suspendedWorker(args);
    const started = Date.now();
    stop(worker);
    const exit = await worker.exited;
    const ms = Date.now() - started;
    // The orderly close may be cut short by the stop deadline (SIGKILL): either way it is gone.
    assert.ok(exit.code === 0 || exit.signal === 'SIGKILL', `ended after ${how}: ${JSON.stringify(exit)}`);
    assert.ok(ms < 8000, `gone within seconds (took ${ms} ms)`);
    devtools.terminate();
    await pool.close();
    assert.ok((await call) instanceof Error, 'the suspended call rejects rather than hanging');
  });
}
