// Worker console output reaches the master, prefixed with the worker's id.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { evalOn } from 'crew';
import { localPool, runCrew, tempDir, until } from '../helpers.mjs';

test('console.log and console.error on a worker go to the pool onOutput hook', async () => {
  const pool = await localPool(2);
  try {
    await evalOn(pool, 'w2', `console.log('hello from w2'); console.error('oops on w2'); 1`);
    await until(() => pool.outputLines.length >= 2, { timeoutMs: 10_000, what: 'the two lines of output from w2' });
    const text = (stream) =>
      pool.outputLines
        .filter(([w, s]) => w === 'w2' && s === stream)
        .map(([, , t]) => t)
        .join('');
    assert.match(text('stdout'), /hello from w2/);
    assert.match(text('stderr'), /oops on w2/);
  } finally {
    await pool.close();
  }
});

test('crew run prints worker output with the worker id in front of each line', async () => {
  const script = join(tempDir(), 'out.ts');
  writeFileSync(
    script,
    `import { evalOn } from 'crew';
export default async function (pool) {
  let text = '';
  const printed = new Promise((resolve) =>
    pool.on('output', (worker, stream, t) => {
      text += t;
      if (text.includes('line two')) resolve();
    }),
  );
  await evalOn(pool, 'w1', "console.log('line one\\\\nline two'); 0");
  await printed;
}
`,
  );
  const r = await runCrew(['run', script, '--local', '1', '--audit-file', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\[w1\] line one$/m);
  assert.match(r.stdout, /^\[w1\] line two$/m);
});
