// Where a notebook cell runs, from its first line, and how equal values fold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const M = await loadSource('extension/notebook/cell-magic.ts');

test('a cell without magic runs on the master, unchanged', () => {
  assert.deepEqual(M.parseCell('6 * 7'), { target: { kind: 'master' }, code: '6 * 7' });
  assert.deepEqual(M.parseCell('const a = 1;\n%%all'), { target: { kind: 'master' }, code: 'const a = 1;\n%%all' });
});

test('%%all and %%on blank their line, so the code keeps the cell’s line numbers', () => {
  assert.deepEqual(M.parseCell('%%all\nprocess.pid'), { target: { kind: 'all' }, code: '\nprocess.pid' });
  assert.deepEqual(M.parseCell('  %%on w2  \r\nx'), { target: { kind: 'on', worker: 'w2' }, code: '\nx' });
  assert.deepEqual(M.parseCell('%%on master\n1'), { target: { kind: 'master' }, code: '\n1' });
  assert.deepEqual(M.parseCell('%%all'), { target: { kind: 'all' }, code: '' });
});

test('a wrong magic line says what is accepted', () => {
  assert.match(M.parseCell('%%px\n1').error, /unknown cell magic %%px: use %%all .* or %%on w1/);
  assert.match(M.parseCell('%%on\n1').error, /%%on needs one worker, as in %%on w1/);
  assert.match(M.parseCell('%%on w1 w2\n1').error, /%%on needs one worker/);
  assert.match(M.parseCell('%%all now\n1').error, /%%all takes nothing after it, got "now"/);
});

test('equal values fold, in worker order', () => {
  const folded = M.foldValues([
    { worker: 'w1', value: '42' },
    { worker: 'w2', value: '7' },
    { worker: 'w3', value: '42' },
  ]);
  assert.deepEqual(
    folded.map((g) => [g.workers, g.first.value]),
    [
      [['w1', 'w3'], '42'],
      [['w2'], '7'],
    ],
  );
});
