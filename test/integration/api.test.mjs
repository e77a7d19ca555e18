// Swank Crew's API against a pool of 3 real local worker processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evalFormAllWorkers,
  evalFormRepeatedly,
  evalOn,
  evalRepeatedlyAsyncState,
  form,
  parallelMap,
  parallelReduce,
  RemoteError,
  runTask,
  spawn,
  ErrorCodes,
} from 'crew';
import { sharedPool } from '../helpers.mjs';

const shared = sharedPool(3);

test('the pool has 3 workers', () => {
  assert.equal(shared.pool.size, 3);
  assert.deepEqual(
    shared.pool.workers.map((w) => w.id),
    ['w1', 'w2', 'w3'],
  );
});

test('evalFormAllWorkers runs once on every worker, and definitions persist', async () => {
  const seen = [];
  const pids = await evalFormAllWorkers(shared.pool, 'function square(x) { return x * x }\nprocess.pid', {
    resultDone: (w) => seen.push(w),
  });
  assert.equal(pids.length, 3);
  assert.equal(new Set(pids).size, 3, 'three different processes');
  assert.deepEqual(seen.sort(), ['w1', 'w2', 'w3']);
  assert.deepEqual(await evalFormAllWorkers(shared.pool, 'square(7)', { replayRequired: false }), [49, 49, 49]);
});

test('async forms are awaited', async () => {
  assert.equal(await evalOn(shared.pool, null, 'new Promise((r) => setTimeout(() => r("later"), 20))'), 'later');
});

test('evalFormRepeatedly returns exactly resultCount results', async () => {
  for (const n of [0, 10, 20, 30]) {
    const r = await evalFormRepeatedly(shared.pool, n, '(() => { let i = 0; return () => ++i })()');
    assert.equal(r.length, n, `resultCount ${n}`);
  }
});

test('evalFormRepeatedly with workerCount at half and at 0', async () => {
  const half = await evalFormRepeatedly(shared.pool, 20, '() => process.pid', { workerCount: 1 });
  assert.equal(half.length, 20);
  assert.equal(new Set(half).size, 1, 'only one worker took part');
  const none = await evalFormRepeatedly(shared.pool, 10, '(() => { let i = 0; return () => ++i })()', {
    workerCount: 0,
  });
  assert.deepEqual(none, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'workerCount 0 evaluates on the master');
});

test('parallelMap returns results in input order and calls resultDone in completion order', async () => {
  const order = [];
  // The first element sleeps long; the others not at all, so some finish before it wherever
  // they run. Each result says when its task finished on its worker (one machine, one clock).
  const list = [300, 0, 0, 0];
  const r = await parallelMap(
    shared.pool,
    (ms) => `new Promise((r) => setTimeout(() => r({ ms: ${ms}, at: Date.now() }), ${ms}))`,
    list,
    (i, v) => order.push([i, v]),
  );
  assert.deepEqual(
    r.map((v) => v.ms),
    list,
    'results in input order',
  );
  assert.equal(order.length, 4);
  assert.deepEqual(order.map(([i]) => i).sort(), [0, 1, 2, 3]);
  for (const [i, v] of order) assert.equal(v.ms, list[i]);
  // Two workers' results can cross on the way when they finish within a moment of each other,
  // so only tasks that finished well apart must be reported in the order they finished.
  const finished = order.map(([, v]) => v.at);
  for (let a = 0; a < finished.length; a++)
    for (let b = a + 1; b < finished.length; b++)
      assert.ok(finished[a] <= finished[b] + 100, `resultDone reported a task that finished later first: ${finished}`);
  assert.notEqual(order[0][0], 0, 'a short task finished, and was reported, before the long first one');
  assert.deepEqual(await parallelMap(shared.pool, (x) => `${x} * ${x}`, [1, 2, 3]), [1, 4, 9]);
});

test('parallelMap with a function form over many elements', async () => {
  const list = Array.from({ length: 5000 }, (_, i) => i);
  const r = await parallelMap(
    shared.pool,
    form((x) => x * 2),
    list,
  );
  assert.deepEqual(
    r,
    list.map((x) => x * 2),
  );
});

test('slow tasks after tiny ones are shared out evenly, not sent to the first worker with room', async () => {
  // The tiny map leaves every worker with a wide window, sized for tasks of microseconds.
  await parallelMap(
    shared.pool,
    form((x) => x + 1),
    Array.from({ length: 3000 }, (_, i) => i),
  );
  const pids = await parallelMap(
    shared.pool,
    form(() => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      return process.pid;
    }),
    Array(6).fill(0),
  );
  const perWorker = [...new Set(pids)].map((pid) => pids.filter((p) => p === pid).length);
  assert.deepEqual(perWorker, [2, 2, 2], `tasks per worker: ${perWorker}`);
});

test('parallelReduce equals a sequential reduce with a non-commutative reducer', async () => {
  const list = Array.from({ length: 40 }, (_, i) => i);
  const reducer = (acc, x) => acc * 31 + x - acc / 7;
  const expected = list.map((x) => x + 1).reduce(reducer, 1);
  const r = await parallelReduce(
    shared.pool,
    (x) => `new Promise((r) => setTimeout(() => r(${x} + 1), ${(40 - x) % 5}))`,
    list,
    1,
    reducer,
  );
  assert.equal(r, expected);
  const s = await parallelReduce(
    shared.pool,
    (x) => JSON.stringify(x),
    ['x', 'y', 'z'],
    '',
    (a, b) => a + b,
  );
  assert.equal(s, 'xyz');
});

test('evalRepeatedlyAsyncState tolerates results computed on stale states', async () => {
  let updates = 0;
  let stale = 0;
  const final = await evalRepeatedlyAsyncState(
    shared.pool,
    '(state) => new Promise((r) => setTimeout(() => r({ seen: state, value: state + 1 }), 5))',
    0,
    (state, results) => {
      assert.ok(Array.isArray(results) && results.length >= 1, 'updateState gets an array of at least one result');
      updates += results.length;
      for (const r of results) if (r.seen < state) stale++;
      const next = Math.max(state, ...results.map((r) => r.value));
      return [next, next >= 20, true];
    },
  );
  assert.equal(final, 20);
  assert.ok(updates >= 20);
  assert.ok(stale > 0, 'with 3 workers some results are computed on stale states and still accepted');
});

test('evalRepeatedlyAsyncState folds results that arrive together into one updateState call', async () => {
  const sizes = [];
  let calls = 0;
  const final = await evalRepeatedlyAsyncState(shared.pool, '() => 1', 0, async (state, results) => {
    sizes.push(results.length);
    // A slow update: results keep arriving meanwhile, and must wait for the next call.
    if (calls++ === 0) await new Promise((r) => setTimeout(r, 100));
    const next = state + results.length;
    return [next, next >= 30, false];
  });
  assert.ok(final >= 30);
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    final,
    'every result is passed exactly once',
  );
  assert.ok(
    sizes.some((n) => n > 1),
    `results that arrived during a call come in one array (${sizes.join(', ')})`,
  );
});

test('values keep their types across the wire', async () => {
  const value = await evalOn(
    shared.pool,
    null,
    form(() => {
      const cyclic = { name: 'c' };
      cyclic.self = cyclic;
      const err = new RangeError('out of range');
      return {
        map: new Map([[1, { a: 2n }]]),
        set: new Set(['x']),
        date: new Date(86400000),
        big: 2n ** 80n,
        f64: new Float64Array([1.5, 2.5]),
        u8: new Uint8Array([1, 2, 3]),
        cyclic,
        err,
        nested: [[[1]]],
      };
    }),
  );
  assert.ok(value.map instanceof Map);
  assert.equal(value.map.get(1).a, 2n);
  assert.ok(value.set instanceof Set && value.set.has('x'));
  assert.ok(value.date instanceof Date && value.date.getTime() === 86400000);
  assert.equal(value.big, 2n ** 80n);
  assert.ok(value.f64 instanceof Float64Array && value.f64[1] === 2.5);
  assert.ok(value.u8 instanceof Uint8Array && value.u8.length === 3);
  assert.equal(value.cyclic.self, value.cyclic);
  assert.ok(value.err instanceof RangeError);
  assert.equal(value.err.message, 'out of range');
  const args = await evalOn(
    shared.pool,
    null,
    form(
      (m, s, d, b) => [m.get('k'), s.size, d.getUTCFullYear(), b + 1n],
      new Map([['k', 'v']]),
      new Set([1, 2]),
      new Date(Date.UTC(2001, 0, 1)),
      41n,
    ),
  );
  assert.deepEqual(args, ['v', 2, 2001, 42n]);
});

test('a function or a socket as a result names its type and where it sits', async () => {
  await assert.rejects(evalOn(shared.pool, null, '({ a: [1, { handler() {} }] })'), (err) => {
    assert.equal(err.code, ErrorCodes.NotSerializable);
    assert.match(err.message, /function handler at result\.a\[1\]\.handler/);
    return true;
  });
  await assert.rejects(evalOn(shared.pool, null, '({ conn: new (require("node:net").Socket)() })'), (err) => {
    assert.equal(err.code, ErrorCodes.NotSerializable);
    assert.match(err.message, /Socket at result\.conn/);
    return true;
  });
});

test(
  'a remote error is a RemoteError with the worker, the class, ' + 'the message and a frame at the form file and line',
  async () => {
    const code =
      'function divide(a: number, b: number): number {\n' +
      '  if (b === 0) throw new RangeError(`cannot divide ${a} by zero`);\n' +
      '  return a / b;\n}\ndivide(1, 0);';
    await assert.rejects(
      evalOn(shared.pool, 'w2', { code, filename: '/home/dev/calc.ts', line: 10, column: 1 }),
      (err) => {
        assert.ok(err instanceof RemoteError);
        assert.equal(err.workerId, 'w2');
        assert.equal(err.remoteName, 'RangeError');
        assert.equal(err.remoteMessage, 'cannot divide 1 by zero');
        assert.deepEqual(
          { fn: err.frames[0].functionName, file: err.frames[0].file, line: err.frames[0].line },
          { fn: 'divide', file: '/home/dev/calc.ts', line: 11 },
        );
        assert.equal(err.frames[1].line, 14);
        assert.match(err.stack, /at divide \(\/home\/dev\/calc\.ts:11:/);
        return true;
      },
    );
  },
);

test('a syntax error in a form names the file and line', async () => {
  await assert.rejects(evalOn(shared.pool, null, { code: 'let x = ;', filename: '/src/bad.js', line: 5 }), (err) => {
    assert.equal(err.code, ErrorCodes.FormSyntax);
    assert.match(err.message, /\/src\/bad\.js:5/);
    return true;
  });
});

test('a per-task timeout stops a runaway loop, and the worker keeps working', async () => {
  await assert.rejects(
    evalOn(shared.pool, 'w1', 'while (true) {}', { timeoutMs: 200 }),
    (err) => err.code === ErrorCodes.Timeout,
  );
  assert.equal(await evalOn(shared.pool, 'w1', '1 + 1'), 2);
});

test('evalOn names an unknown worker clearly', async () => {
  await assert.rejects(
    evalOn(shared.pool, 'w99', '1'),
    (err) => err.code === ErrorCodes.UnknownWorker && /w99/.test(err.message),
  );
});

test('each worker has a store that persists across evaluations', async () => {
  await evalOn(shared.pool, 'w3', 'store.set("conn", { opened: Date.now() }); store.size');
  assert.equal(await evalOn(shared.pool, 'w3', 'store.has("conn")'), true);
  assert.equal(await evalOn(shared.pool, 'w1', 'store.has("conn")'), false);
});

test('forms behave as at a REPL: top-level await and import on workers, and a file evaluated again', async () => {
  const file = {
    code:
      'import { join } from "node:path";\n' +
      'const base: string = await Promise.resolve("/srv");\nconst limit = 2;\n' +
      'base',
    filename: '/home/dev/setup.ts',
    line: 1,
  };
  assert.deepEqual(await evalFormAllWorkers(shared.pool, file, { replayRequired: false }), ['/srv', '/srv', '/srv']);
  // Evaluating the same file again, changed, redeclares its constants instead of failing.
  await evalFormAllWorkers(
    shared.pool,
    { ...file, code: file.code.replace('limit = 2', 'limit = 3') },
    { replayRequired: false },
  );
  assert.deepEqual(await parallelMap(shared.pool, (x) => `join(base, "${x}").length + limit`, ['a', 'bb']), [9, 10]);
  // Lines still point at the user's file through the rewriting.
  await assert.rejects(
    evalOn(shared.pool, 'w1', {
      code: 'const v = await Promise.resolve(0);\n\nnull.boom',
      filename: '/home/dev/later.js',
      line: 20,
    }),
    (err) => err instanceof RemoteError && err.frames[0].line === 22,
  );
});

test('a worker is named by its id or by what pool.workers lists, everywhere a worker is named', async () => {
  const { pool } = shared;
  const [w] = pool.workers;
  assert.equal(await evalOn(pool, w, 'process.pid'), w.pid);
  assert.equal((await runTask(pool, '1 + 1', { worker: w })).worker, w.id);
  const ref = await spawn(
    pool,
    form(() => 'done'),
    { worker: w },
  );
  assert.equal(ref.node, w.id);
  assert.deepEqual(pool.interrupt(w), [w.id]);
  await assert.rejects(evalOn(pool, 'w99', '1'), (err) => {
    assert.equal(err.code, ErrorCodes.UnknownWorker);
    assert.match(err.message, /there is no worker w99; workers are w1, w2, w3/);
    return true;
  });
  await assert.rejects(evalOn(pool, { name: 'x' }, '1'), /named by its id \('w1'\) or an entry of pool\.workers/);
});
