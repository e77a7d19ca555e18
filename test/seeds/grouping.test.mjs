// CL-MW's task and result grouping, seen in the audit trail of frames sent and received.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, form, parallelMap, startMaster } from 'crew';
import { localPool, runCrew, root, SECRET } from '../helpers.mjs';

function frames(lines, event, field) {
  return lines
    .filter((l) => l.includes(` master ${event} `))
    .map((l) => Number(new RegExp(`${field}=(\\d+)`).exec(l)[1]));
}

test('taskGroup and resultGroup: whole groups of 5 each way', async () => {
  const pool = await localPool(1, { taskGroup: 5, resultGroup: 5 });
  try {
    const r = await parallelMap(
      pool,
      form((x) => x + 1),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(
      r,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(frames(pool.auditLines, 'sent', 'tasks'), [5, 5, 5, 5]);
    assert.deepEqual(frames(pool.auditLines, 'received', 'results'), [5, 5, 5, 5]);
  } finally {
    await pool.close();
  }
});

test('a short group only at the end, when fewer tasks are left', async () => {
  const pool = await localPool(1, { taskGroup: 5, resultGroup: 5 });
  try {
    await parallelMap(
      pool,
      form((x) => x),
      Array.from({ length: 13 }, (_, i) => i),
    );
    assert.deepEqual(frames(pool.auditLines, 'sent', 'tasks'), [5, 5, 3]);
    assert.deepEqual(frames(pool.auditLines, 'received', 'results'), [5, 5, 3]);
  } finally {
    await pool.close();
  }
});

test('without grouping options the adaptive batching is unchanged and results are right', async () => {
  const pool = await localPool(2);
  try {
    const r = await parallelMap(
      pool,
      form((x) => x * 3),
      Array.from({ length: 300 }, (_, i) => i),
    );
    assert.deepEqual(
      r,
      Array.from({ length: 300 }, (_, i) => i * 3),
    );
    assert.ok(frames(pool.auditLines, 'sent', 'tasks').some((n) => n !== 5));
  } finally {
    await pool.close();
  }
});

test('bad grouping options are refused with a clear error', async () => {
  await assert.rejects(
    startMaster({ secret: SECRET, taskGroup: 0, audit: { to: 'none' } }),
    (err) => err.code === ErrorCodes.BadArgument && /taskGroup must be a whole number >= 1, got 0/.test(err.message),
  );
  await assert.rejects(
    startMaster({ secret: SECRET, resultGroup: 2.5, audit: { to: 'none' } }),
    (err) => err.code === ErrorCodes.BadArgument && /resultGroup/.test(err.message),
  );
  const r = await runCrew(['run', `${root}/examples/hello.ts`, '--local', '1', '--task-group', '0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--task-group must be a whole number >= 1, got "0"/);
});

test('crew run --task-group 10 --result-group 10 -v sends and receives the 10 tasks in one frame each', async () => {
  const r = await runCrew([
    'run',
    `${root}/examples/hello.ts`,
    '--local',
    '1',
    '--task-group',
    '10',
    '--result-group',
    '10',
    '-v',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[A\] \S+ master sent worker=w1 tasks=10 /);
  assert.match(r.stderr, /\[A\] \S+ master received worker=w1 results=10/);
  assert.equal(r.stdout.match(/Hello World: Task \d/g).length, 10);
});
