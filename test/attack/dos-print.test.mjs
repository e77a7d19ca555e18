// Denial of service through printing: a worker answers with `[o, o]` nested 40 deep, a tree
// of 2^40 leaves that V8's serializer sends in a few hundred bytes (each repeat is a
// back-reference). Printing it whole (JSON.stringify, util.inspect) used to hang `crew lsp`
// for minutes at 100% CPU, deaf to every request and to SIGTERM. Every print of a value is
// now bounded: the answer arrives, is small, says where it was cut, and the server goes on.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { cli, SECRET, until } from '../helpers.mjs';
import { startServer } from '../lsp/lsp-client.mjs';

/** The hostile value: 41 distinct arrays on the wire, 2^40 leaves as a tree. */
const SHARED_TREE = 'let o = [1]; for (let i = 0; i < 40; i++) o = [o, o]; o';
/** Shared and wide: 50^8 paths, so the node budget, not the depth, cuts it. */
const WIDE_TREE = 'let w = [1]; for (let i = 0; i < 8; i++) w = Array(50).fill(w); w';
/** The longest answer a print may give (the print limit, 200,000 characters, and a note). */
const MAX_VALUE_CHARS = 201_000;
/** How long an answer may take before the test calls the server hung. */
const ANSWER_MS = 30_000;

let s;
let P;
before(async () => {
  s = await startServer();
  P = s.P;
  const r = await s.request(P.ConnectWorkers.type, { local: 1 });
  assert.deepEqual(r.errors, []);
});
after(async () => {
  await s?.stop();
});

/** A request's answer, or a failure naming the request if the server does not answer in time. */
async function answer(type, params, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ANSWER_MS} ms`)), ANSWER_MS);
  });
  const t0 = performance.now();
  try {
    const r = await Promise.race([s.request(type, params), late]);
    return { r, ms: Math.round(performance.now() - t0) };
  } finally {
    clearTimeout(timer);
  }
}

function assertBounded(outcome, what) {
  assert.equal(outcome.ok, true, `${what}: ${JSON.stringify(outcome.error)}`);
  assert.ok(outcome.value.length <= MAX_VALUE_CHARS, `${what}: a print of ${outcome.value.length} characters`);
  assert.ok(outcome.summary.length <= 120, `${what}: a summary of ${outcome.summary.length} characters`);
  assert.equal(outcome.json, undefined, `${what}: no JSON view of a value JSON cannot hold within its limit`);
}

test('a 2^40-leaf shared tree from a worker prints within bounds; the server answers the next request', async () => {
  const { r, ms } = await answer(P.EvalOn.type, { code: SHARED_TREE, worker: 'w1' }, 'the shared tree on w1');
  const [o] = r.outcomes;
  assertBounded(o, 'the worker value');
  assert.match(o.value, /\[Array\]/, 'the print says where the depth cut it');
  console.log(`shared tree from w1: answered in ${ms} ms; print ${o.value.length} chars, summary "${o.summary}"`);
  const next = await answer(P.EvalOn.type, { code: '6 * 7', worker: 'w1' }, 'the next request');
  assert.equal(next.r.outcomes[0].value, '42');
});

test('a shared tree too wide for the budget is cut, and the cut is marked', async () => {
  const { r, ms } = await answer(P.EvalAllWorkers.type, { code: WIDE_TREE }, 'the wide tree on every worker');
  const [o] = r.outcomes;
  assertBounded(o, 'the wide value');
  assert.match(o.value, /… truncated: \d+ more items/, 'the print says where the budget cut it');
  console.log(`wide shared tree (50^8 paths): answered in ${ms} ms; print ${o.value.length} chars`);
});

test('the same values made on the master print within bounds too', async () => {
  for (const code of [SHARED_TREE, WIDE_TREE, `(() => { ${SHARED_TREE.replace(/; o$/, '')}; throw o; })()`]) {
    const { r } = await answer(P.EvalMaster.type, { code }, `master: ${code}`);
    const [o] = r.outcomes;
    if (o.ok) assertBounded(o, `master: ${code}`);
    else assert.ok(o.error.message.length < 5_000, 'a thrown value is described within bounds');
  }
  assert.equal((await answer(P.EvalMaster.type, { code: '6 * 7' }, 'the next request')).r.outcomes[0].value, '42');
});

test('the terminal REPL prints shared trees from a worker within bounds and gives the prompt back', async () => {
  const child = spawn(process.execPath, [cli, 'master', '--local', '1', '--audit-file', 'none'], {
    env: { ...process.env, CREW_SECRET: SECRET },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const prompts = () => out.split('crew> ').length - 1;
  try {
    await until(() => prompts() >= 1, { timeoutMs: 30_000, what: 'the crew> prompt' });
    child.stdin.write(`await evalOn(pool, null, ${JSON.stringify(SHARED_TREE)})\n`);
    await until(() => prompts() >= 2, { timeoutMs: ANSWER_MS, what: 'the prompt after the shared tree' });
    assert.match(out, /\[Array\]/);
    // The REPL's depth (4) alone bounds the narrow tree; the wide one needs the budget.
    child.stdin.write(`await evalOn(pool, null, ${JSON.stringify(WIDE_TREE)})\n`);
    await until(() => prompts() >= 3, { timeoutMs: ANSWER_MS, what: 'the prompt after the wide tree' });
    assert.match(out, /… truncated: \d+ more items/);
    assert.ok(out.length < 1_100_000, `the REPL printed ${out.length} characters`);
    child.stdin.write('6 * 7\n');
    await until(() => /\b42\n/.test(out), { what: 'the next answer' });
    child.stdin.write('.exit\n');
    await exited;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
