// Why the Crew Debugger reads a frame's code to decide whether a throw escapes (worker/debug/
// catch-site.ts) instead of asking V8: V8's own "uncaught" prediction counts `vm`'s native
// handler around a script, so a throw in a form is "caught" while the form's frames are live,
// even with nothing of the host's around it. If a Node version changes that, this fails, and
// V8's signal (`data.uncaught`, the `uncaught` pause state) may replace the parse there.
// `npm run test:nodes -- test/unit/v8-uncaught.test.mjs` runs it under Node 22 and 24.
import assert from 'node:assert/strict';
import { Session } from 'node:inspector';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

/**
 * Runs `code` in a fresh thread under pause-on-exceptions `all` until it calls `done()`, and
 * resolves with each pause it made: its `uncaught` flag, and whether the script named
 * `form.js` is on the stack.
 */
async function pausesOf(code) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  const attached = new Promise((resolve) =>
    session.once('NodeWorker.attachedToWorker', (m) => resolve(m.params.sessionId)),
  );
  let id = 0;
  let sessionId;
  const send = (method, params = {}) =>
    post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: ++id, method, params }) });
  const forms = new Set();
  const pauses = [];
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    const m = JSON.parse(params.message);
    if (m.method === 'Debugger.scriptParsed' && m.params.url === 'form.js') forms.add(m.params.scriptId);
    if (m.method !== 'Debugger.paused') return;
    const inForm = m.params.callFrames.some((f) => forms.has(f.location.scriptId));
    pauses.push({ uncaught: m.params.data.uncaught, inForm });
    void send('Debugger.resume');
  });
  try {
    await post('NodeWorker.enable', { waitForDebuggerOnStart: true });
    const done = "const done = () => require('node:worker_threads').parentPort.postMessage('done');";
    const thread = new Worker(`${done}\n${code}`, { eval: true });
    const finished = new Promise((resolve, reject) => thread.once('message', resolve).once('error', reject));
    sessionId = await attached;
    await send('Debugger.enable');
    await send('Debugger.setPauseOnExceptions', { state: 'all' });
    await send('Runtime.runIfWaitingForDebugger');
    await finished;
    await thread.terminate();
    return pauses;
  } finally {
    session.disconnect();
  }
}

const VM = "const vm = require('node:vm'); const context = vm.createContext({});";
/** A script named as a form, that throws when it runs. */
const THROWS = `new vm.Script("(function f() { throw new Error('x') })()", { filename: 'form.js' })`;
/** A script named as a form whose value is a function that throws. */
const FN = `new vm.Script("(function f() { throw new Error('x') })", { filename: 'form.js' })`;

test("a throw in a vm script is 'caught' while its frames are live, with no try of the host's", async () => {
  const pauses = await pausesOf(`${VM}\ntry { ${THROWS}.runInContext(context) } catch {}\ndone()`);
  // The second pause is Node's rethrow out of vm: the host's try, and the form's frames gone.
  assert.deepEqual(pauses, [
    { uncaught: false, inForm: true },
    { uncaught: false, inForm: false },
  ]);
  const bare = await pausesOf(
    `${VM}\nprocess.on('uncaughtException', () => {});\n` +
      `setTimeout(() => ${THROWS}.runInContext(context));\n` +
      'setTimeout(done)',
  );
  assert.deepEqual(bare, [
    { uncaught: false, inForm: true },
    { uncaught: true, inForm: false },
  ]);
});

test("a vm function the host calls with nothing around it is 'uncaught' at its throw", async () => {
  const pauses = await pausesOf(
    `${VM}\nconst f = ${FN}.runInContext(context);\n` +
      "process.on('uncaughtException', () => {});\nsetTimeout(() => f());\nsetTimeout(done)",
  );
  assert.deepEqual(pauses, [{ uncaught: true, inForm: true }]);
});
