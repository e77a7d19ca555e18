// Each example in examples/ runs as the README says, and its output is checked.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { root, runCrew } from '../helpers.mjs';

const example = (name) => `${root}/examples/${name}`;

test("dpfw: a generator in one worker's store gives 1, 2, 3", async () => {
  const r = await runCrew(['run', example('dpfw-store.ts'), '--local', '2', '--audit-file', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['1', '2', '3', 'parallel ran 2 forms']);
});

test('CL-MW hello world: 10 tasks, each "Hello World: Task N", with the audit trail', async () => {
  const r = await runCrew(['run', example('hello.ts'), '--local', '1']);
  assert.equal(r.code, 0, r.stderr);
  const got = [...r.stdout.matchAll(/^Got result from w1 \(tag (\d+), [\d.]+ ms\): "Hello World: Task (\d+)"$/gm)];
  assert.equal(got.length, 10, r.stdout);
  assert.deepEqual(
    got.map((m) => Number(m[2])).sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  for (const m of got) assert.equal(m[1], m[2], 'each result carries its own task tag');
  assert.match(r.stdout, /^10 of 10 results$/m);
  // The audit trail: the master listens, starts its worker, the worker joins, and the job ends.
  for (const event of [
    / master listen host=127\.0\.0\.1 port=\d+ member=\w+/,
    / master connect worker=w1 name=local-1/,
    / master state worker=w1 state=ready/,
    / master shutdown reason="script finished"/,
  ]) {
    assert.match(r.stderr, new RegExp(`^\\[A\\] \\S+${event.source}`, 'm'));
  }
});

function whiten(text) {
  let digest = text;
  for (let i = 0; i < 1000 * text.length; i++) digest = createHash('md5').update(digest).digest('hex');
  return digest;
}

test('dist-emacs whiten: defined on three workers, called on each with its own string, signed', async () => {
  const r = await runCrew(['run', example('whiten.ts'), '--local', '3', '--sign', '--audit-file', 'none']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  const seen = lines.map((l) => /^(w[123]): whiten\("(.*)"\) = ([0-9a-f]{32})$/.exec(l));
  for (const m of seen) {
    assert.ok(m, `unexpected line: ${lines.join(' | ')}`);
    assert.equal(m[3], whiten(m[2]), `the digest of ${m[2]}`);
  }
  assert.deepEqual(seen.map((m) => m[1]).sort(), ['w1', 'w2', 'w3'], 'one call per worker');
  assert.deepEqual(seen.map((m) => m[2]).sort(), ['Rings of Saturn', 'hello', 'x']);
});

test("Erlangen's parallel-map built from agents, across two workers", async () => {
  const r = await runCrew(['run', example('erlangen-pmap.ts'), '--local', '2', '--audit-file', 'none']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), JSON.stringify([3, 5, 7, 9, 11, 13, 15]));
  const chunks = lines.slice(0, -1).map((l) => /^chunk at (\d+): (\[.*\]) from (w[12])$/.exec(l));
  assert.equal(chunks.length, 3, r.stdout);
  assert.ok(chunks.every(Boolean), r.stdout);
  assert.deepEqual(
    chunks.map((m) => Number(m[1])).sort((a, b) => a - b),
    [0, 2, 4],
  );
  assert.deepEqual(new Set(chunks.map((m) => m[3])), new Set(['w1', 'w2']), 'both workers took part');
});
