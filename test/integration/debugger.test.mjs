// Remote debugging on real worker processes: suspension at a throw with live frames,
// evaluation in a frame, each restart's effect on the caller, two workers at once, interrupts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalFormAllWorkers, evalOn, ErrorCodes, form, RemoteError } from 'crew';
import { mustNotEnd, sharedPool, until } from '../helpers.mjs';

const shared = sharedPool(2, {
  setup: async (pool) => {
    pool.setDebugOnError(true);
    await evalFormAllWorkers(pool, {
      code:
        'function divide(a: number, b: number): number {\n' +
        '  const scaled = a * 10;\n' +
        '  if (b === 0) throw new RangeError(`cannot divide ${a} by zero`);\n' +
        '  return scaled / b;\n}',
      filename: '/home/dev/calc.ts',
      line: 1,
    });
  },
});

function nextPause() {
  return new Promise((resolve) => shared.pool.debug.once('paused', resolve));
}

test(
  'a throw suspends on the worker with live frames, ' + 'locals and evaluation in a frame; abort rejects the caller',
  async () => {
    const paused = nextPause();
    const call = evalOn(shared.pool, 'w1', { code: 'divide(7, 0)', filename: '/home/dev/main.ts', line: 12 });
    const s = await paused;
    assert.equal(s.worker, 'w1');
    assert.deepEqual(
      { name: s.condition.name, message: s.condition.message },
      { name: 'RangeError', message: 'cannot divide 7 by zero' },
    );
    assert.match(s.condition.form, /\/home\/dev\/main\.ts:12 divide\(7, 0\)/);
    const top = s.frames[0];
    assert.deepEqual(
      { fn: top.functionName, file: top.file, line: top.line, internal: top.internal },
      { fn: 'divide', file: '/home/dev/calc.ts', line: 3, internal: false },
    );
    assert.deepEqual({ file: s.frames[1].file, line: s.frames[1].line }, { file: '/home/dev/main.ts', line: 12 });
    assert.ok(
      s.frames.some((f) => f.internal),
      'Crew runtime and Node frames are there, marked internal',
    );
    const local = top.scopes.find((sc) => sc.type === 'local');
    const { values } = await shared.pool.debug.request(s.id, { op: 'properties', objectId: local.objectId });
    const byName = Object.fromEntries(values.map((v) => [v.name, v.value]));
    assert.deepEqual({ a: byName.a, b: byName.b, scaled: byName.scaled }, { a: '7', b: '0', scaled: '70' });
    const { value } = await shared.pool.debug.request(s.id, { op: 'evaluate', frame: 0, expression: 'scaled + a' });
    assert.equal(value.value, '77');
    assert.equal(shared.pool.debug.list().length, 1);
    const resumed = new Promise((resolve) => shared.pool.debug.once('resumed', (id, how) => resolve([id, how])));
    await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
    assert.deepEqual(await resumed, [s.id, 'aborted']);
    await assert.rejects(
      call,
      (err) => err instanceof RemoteError && err.remoteName === 'RangeError' && err.frames[0].line === 3,
    );
    await assert.rejects(
      shared.pool.debug.request(s.id, { op: 'evaluate', frame: 0, expression: '1' }),
      (err) => err.code === ErrorCodes.DebugStale && /already ended; nothing was done/.test(err.message),
    );
  },
);

test('return a value: the typed value becomes the task result', async () => {
  const paused = nextPause();
  const call = evalOn(shared.pool, 'w2', '1 + divide(5, 0)');
  const s = await paused;
  await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'return', expression: 'a * 100' } });
  assert.equal(await call, 500);
});

test('retry after fixing the function on every worker gives the result', async () => {
  const paused = nextPause();
  const call = evalOn(shared.pool, 'w1', 'divide(9, 0)');
  const s = await paused;
  // The fix reaches the suspended worker too, and runs before the retry.
  const fixed = evalFormAllWorkers(shared.pool, 'function divide(a, b) { return b === 0 ? Infinity : a / b }');
  // The fix is on its way to w1 (the link keeps order) once it counts as in flight there.
  await until(() => shared.pool.workers.find((w) => w.id === 'w1').inFlight >= 2, { what: 'the fix to be sent to w1' });
  await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'retry' } });
  assert.equal(await call, Infinity);
  await fixed;
  await evalFormAllWorkers(
    shared.pool,
    'function divide(a, b) { if (b === 0) throw new RangeError(`cannot divide ${a} by zero`); return a / b }',
  );
});

test('retry on another worker runs the task elsewhere', async () => {
  const paused = nextPause();
  const call = evalOn(
    shared.pool,
    null,
    'if (!globalThis.thrownHere) { globalThis.thrownHere = true; throw new Error("first time here") }\nprocess.pid',
  );
  const s = await paused;
  await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'retryElsewhere' } });
  const other = s.worker === 'w1' ? 'w2' : 'w1';
  // The other worker throws too the first time: its own suspension follows, and is aborted.
  const second = await nextPause();
  assert.equal(second.worker, other);
  await shared.pool.debug.request(second.id, {
    op: 'restart',
    restart: { kind: 'return', expression: '"from ' + other + '"' },
  });
  assert.equal(await call, `from ${other}`);
});

test('two workers suspended at once, each with its own entry; the others keep working', async () => {
  const seen = [];
  const both = new Promise((resolve) => {
    const on = (s) => {
      seen.push(s);
      if (seen.length === 2) {
        shared.pool.debug.off('paused', on);
        resolve();
      }
    };
    shared.pool.debug.on('paused', on);
  });
  const a = assert.rejects(evalOn(shared.pool, 'w1', 'divide(1, 0)'), /cannot divide 1/);
  const b = assert.rejects(evalOn(shared.pool, 'w2', 'divide(2, 0)'), /cannot divide 2/);
  await both;
  assert.deepEqual(seen.map((s) => s.worker).sort(), ['w1', 'w2']);
  assert.equal(shared.pool.debug.list().length, 2);
  for (const s of seen) await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
  await a;
  await b;
});

test('an interrupt suspends a runaway loop into the debugger; abort ends it and the worker lives on', async () => {
  const paused = nextPause();
  const call = assert.rejects(
    evalOn(shared.pool, 'w2', 'console.log("spinning"); let spins = 0; while (true) { spins++ }'),
    (err) => err.code === ErrorCodes.Interrupted,
  );
  await until(() => shared.pool.outputLines.some(([w, , t]) => w === 'w2' && t.includes('spinning')), {
    what: 'the loop to start on w2',
  });
  assert.deepEqual(shared.pool.interrupt('w2'), ['w2']);
  const s = await paused;
  assert.equal(s.condition.reason, 'interrupt');
  const { value } = await shared.pool.debug.request(s.id, { op: 'evaluate', frame: 0, expression: 'spins > 0' });
  assert.equal(value.value, 'true');
  await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
  await call;
  assert.equal(await evalOn(shared.pool, 'w2', '6 * 7'), 42);
});

test('a throw in the first task of a fresh eval thread suspends too', async () => {
  // The thread dies and a fresh one starts, whose inspector is reached a moment later.
  await assert.rejects(evalOn(shared.pool, 'w1', 'process.exit(3)'), (err) => err.code === ErrorCodes.EvalThreadDied);
  const paused = nextPause();
  const call = evalOn(shared.pool, 'w1', 'divide(1, 0)');
  const s = await Promise.race([paused, mustNotEnd(call, 'suspending')]);
  assert.equal(s.condition.message, 'cannot divide 1 by zero');
  await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
  await assert.rejects(call, (err) => err instanceof RemoteError);
});

test('errors the code catches itself do not suspend, wherever the catch is', async () => {
  const seen = [];
  // A wrong suspension is continued, so the test fails on the assertion instead of hanging.
  const onPause = (s) => {
    seen.push(s);
    void shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'continue' } });
  };
  shared.pool.debug.on('paused', onPause);
  try {
    await evalFormAllWorkers(
      shared.pool,
      'function safeDivide(a, b) { try { return divide(a, b) } catch { return -1 } }',
    );
    assert.equal(await evalOn(shared.pool, 'w1', 'try { divide(7, 0) } catch (e) { e.name }'), 'RangeError');
    assert.equal(await evalOn(shared.pool, 'w1', 'safeDivide(7, 0)'), -1);
    assert.equal(
      await evalOn(
        shared.pool,
        'w1',
        form((text) => {
          try {
            return JSON.parse(text);
          } catch {
            return 'not JSON';
          }
        }, '{'),
      ),
      'not JSON',
    );
    assert.equal(
      await evalOn(shared.pool, 'w1', '(async () => { await null; try { divide(1, 0) } catch { return 5 } })()'),
      5,
    );
    assert.equal(
      await evalOn(shared.pool, 'w1', 'try { try { divide(1, 0) } finally { 0 } } catch { "outer" }'),
      'outer',
    );
    assert.deepEqual(
      seen.map((x) => x.condition.message),
      [],
      'no suspension',
    );
  } finally {
    shared.pool.debug.off('paused', onPause);
  }
  // A throw inside a catch block is not caught by that try: it suspends.
  const paused = nextPause();
  const call = evalOn(shared.pool, 'w1', 'try { divide(1, 0) } catch { divide(2, 0) }');
  const s = await paused;
  assert.equal(s.condition.message, 'cannot divide 2 by zero');
  await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
  await assert.rejects(call, (err) => err instanceof RemoteError);
});

test(
  "an error thrown in Node's own code that the user's code does not catch " + "suspends, the user's frame below",
  async () => {
    const paused = nextPause();
    const call = evalOn(shared.pool, 'w2', {
      code: 'require("node:fs").readFileSync("/nonexistent/crew-input.txt")',
      filename: '/home/dev/load.ts',
      line: 5,
    });
    const s = await paused;
    assert.equal(s.frames[0].internal, true);
    const user = s.frames.find((f) => !f.internal);
    assert.deepEqual({ file: user.file, line: user.line }, { file: '/home/dev/load.ts', line: 5 });
    await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
    await assert.rejects(call, (err) => err instanceof RemoteError && /ENOENT/.test(err.message));
  },
);

test('with debugging off, errors reject at once', async () => {
  // No wait: the mode goes to each worker on its link ahead of the task that follows.
  shared.pool.setDebugOnError(false);
  await assert.rejects(
    evalOn(shared.pool, 'w1', 'divide(3, 0)'),
    (err) => err instanceof RemoteError && err.remoteName === 'RangeError',
  );
  shared.pool.setDebugOnError(true);
});
