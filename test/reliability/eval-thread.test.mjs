// The eval thread dies (out of memory, process.exit(), a fatal error): the worker process
// and its connection survive, a fresh thread starts, and the setup forms are replayed.
// Mistakes in user code get clear errors naming the cause.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { disconnectWorkers, evalFormAllWorkers, evalOn, form, parallelMap, startMaster } from 'crew';
import { auditTrail, newSecret, record } from './helpers.mjs';

/* global base -- functions sent with form() run on the workers, where a setup form defines it */

let pool;
let audit;
before(async () => {
  const trail = auditTrail();
  audit = trail.lines;
  pool = await startMaster({
    local: 2,
    secret: newSecret(),
    audit: trail.options,
    localWorkerArgs: ['--eval-heap-mb', '64'],
  });
  await evalFormAllWorkers(pool, 'globalThis.base = 100; globalThis.setups = (globalThis.setups ?? 0) + 1');
});
after(() => disconnectWorkers(pool));

/** Same worker, same connection: no disconnect was audited for it since `since`. */
function sameConnection(id, since) {
  assert.equal(audit.count(new RegExp(`disconnect worker=${id} `), since), 0, `${id} kept its connection`);
  assert.equal(pool.size, 2);
}

test('process.exit() in user code kills the eval thread, not the worker; setup forms are replayed', async () => {
  const since = performance.now();
  const pid = await evalOn(pool, 'w1', 'process.pid');
  await assert.rejects(evalOn(pool, 'w1', 'process.exit(7)'), (err) => {
    assert.equal(err.code, 'CREW_EVAL_THREAD_DIED');
    assert.match(err.message, /the eval thread died: the eval thread exited with code 7/);
    return true;
  });
  const detectionMs = performance.now() - since;
  assert.equal(await evalOn(pool, 'w1', 'base + 1'), 101, 'the setup form ran again on the fresh thread');
  const recoveryMs = performance.now() - since;
  assert.equal(await evalOn(pool, 'w1', 'process.pid'), pid, 'the same worker process');
  assert.equal(await evalOn(pool, 'w1', 'setups'), 1, 'a fresh context, with the setup replayed once');
  sameConnection('w1', since);
  await audit.waitFor(/eval-thread worker=w1 restarted=/);
  record({
    row: 'eval-exit',
    lost: 0,
    duplicated: 0,
    detectionMs,
    recoveryMs,
    note: 'process.exit(7) in a form; recovery = next form sees the replayed setup',
  });
});

test('an out-of-memory eval thread is replaced; the worker keeps its connection and setup', async () => {
  const since = performance.now();
  await assert.rejects(
    evalOn(pool, 'w2', 'const hog = []; for (;;) hog.push(new Array(1e5).fill(Math.random()));'),
    (err) => {
      assert.equal(err.code, 'CREW_EVAL_THREAD_DIED');
      assert.match(err.message, /memory limit|out of memory/i);
      return true;
    },
  );
  const detectionMs = performance.now() - since;
  assert.equal(await evalOn(pool, 'w2', 'base * 2'), 200);
  const recoveryMs = performance.now() - since;
  sameConnection('w2', since);
  record({
    row: 'eval-oom',
    lost: 0,
    duplicated: 0,
    detectionMs,
    recoveryMs,
    note: 'eval heap limited to 64 MiB with --eval-heap-mb; detection includes filling the heap',
  });
});

test(
  'a map task that calls process.exit() is marked bad after 3 thread ' + 'deaths; the rest of the pool is fine',
  async () => {
    const since = performance.now();
    await assert.rejects(
      parallelMap(
        pool,
        form((x) => (x === 3 ? process.exit(1) : x)),
        [0, 1, 2, 3, 4, 5],
      ),
      (err) => {
        assert.equal(err.code, 'CREW_TASK_KILLED_WORKERS');
        assert.match(err.message, /marked bad and not tried again\. Last: the eval thread died/);
        return true;
      },
    );
    sameConnection('w1', since);
    sameConnection('w2', since);
    assert.deepEqual(
      await parallelMap(
        pool,
        form((x) => base + x),
        [1, 2, 3],
      ),
      [101, 102, 103],
    );
    record({
      row: 'eval-exit-poison',
      lost: 0,
      duplicated: 0,
      detectionMs: undefined,
      recoveryMs: performance.now() - since,
      note: 'bad after 3 eval-thread deaths; no worker lost',
    });
  },
);

test('a result that cannot be sent names its type and where it sits', async () => {
  await assert.rejects(evalOn(pool, null, '({ rows: [1, new Map([["k", () => 1]])] })'), (err) => {
    assert.equal(err.code, 'CREW_NOT_SERIALIZABLE');
    assert.match(err.message, /cannot send anonymous function at result\.rows\[1\]\.get\("k"\)/);
    return true;
  });
  await assert.rejects(evalOn(pool, null, 'Symbol("s")'), /cannot send symbol at result/);
  await assert.rejects(
    parallelMap(
      pool,
      form((x) => x),
      [1, { f() {} }],
    ),
    (err) => {
      assert.equal(err.code, 'CREW_NOT_SERIALIZABLE');
      assert.match(err.message, /function f at arguments\[0\]\.f/);
      return true;
    },
  );
  record({
    row: 'user-not-serializable',
    lost: 0,
    duplicated: 0,
    note: 'CREW_NOT_SERIALIZABLE naming the type and its path, for results and arguments',
  });
});

test('a form with a syntax error names the file, line and column', async () => {
  await assert.rejects(evalOn(pool, null, { code: 'const a = 1;\nconst b = a +* 2;', filename: 'calc.js' }), (err) => {
    assert.equal(err.code, 'CREW_FORM_SYNTAX');
    assert.match(err.message, /syntax error in the form at calc\.js:2:\d+/);
    return true;
  });
  await assert.rejects(evalOn(pool, null, { code: 'let x: = 1', filename: 'calc.ts' }), (err) => {
    assert.equal(err.code, 'CREW_FORM_SYNTAX');
    assert.match(err.message, /calc\.ts:1:\d+/);
    return true;
  });
  assert.equal(await evalOn(pool, null, 'base'), 100, 'the pool still answers');
  record({
    row: 'user-syntax-error',
    lost: 0,
    duplicated: 0,
    note: 'CREW_FORM_SYNTAX with file:line:column, JS and TS',
  });
});
