// `crew lsp` serving the editor's inspector: a value stays on its worker behind a handle and
// is read a page at a time (a Map of a million entries, last page included, without sending
// it whole); children open lazily, getters are not called, a function opens too; released
// handles are gone, at most 1000 are held, and a worker restart invalidates them with a
// message that says so; a busy worker is refused at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { rejection, startServer } from './lsp-client.mjs';

let s;
let P;
let I;
before(async () => {
  s = await startServer();
  P = s.P;
  I = await loadSource('protocol/messages/lsp-inspect-messages.ts');
  const r = await s.request(P.ConnectWorkers.type, { local: 2 });
  assert.deepEqual(r.errors, []);
  await s.request(P.EvalAllWorkers.type, {
    code: `globalThis.crewBig = new Map(Array.from({ length: 1_000_000 }, (_, i) => [i, { i, sq: i * i }]));
class Secretive { #hidden = 1; constructor() { this.shown = 2 } get trap() { globalThis.crewTrapped = true; return 3 } }
globalThis.crewThing = new Secretive(); globalThis.crewFn = function crewFn(a, b = 2) { return a + b }`,
  });
});
after(async () => {
  await s?.stop();
});

const open = (worker, expression) => s.request(I.InspectOpen.type, { worker, expression });
const page = (held, offset, count) =>
  s.request(I.InspectPageRead.type, { worker: held.worker, handle: held.handle, thread: held.thread, offset, count });
const child = (held, index) =>
  s.request(I.InspectChildOpen.type, { worker: held.worker, handle: held.handle, thread: held.thread, index });
const on = (worker, node) => ({ worker, ...node });

test('a Map of a million entries opens in pages, the last one too, without sending it whole', async () => {
  const root = on('w2', await open('w2', 'crewBig'));
  assert.equal(root.kind, 'Map');
  assert.equal(root.total, 1_000_000);
  assert.match(root.summary, /^Map\(1000000\)/);
  const first = await page(root, 0, 100);
  assert.equal(first.children.length, 100);
  assert.deepEqual(first.children[3], {
    index: 3,
    name: '3',
    kind: 'object',
    summary: '{ i: 3, sq: 9 }',
    expandable: true,
  });
  const last = await page(root, 999_900, 100);
  assert.deepEqual([last.children[0].name, last.children.at(-1).name, last.total], ['999900', '999999', 1_000_000]);
  assert.ok(JSON.stringify(last).length < 20_000, 'a page is small');
  const entry = on('w2', await child(root, 999_999));
  assert.deepEqual(
    (await page(entry, 0, 10)).children.map((c) => [c.name, c.summary]),
    [
      ['i', '999999'],
      ['sq', '999998000001'],
    ],
  );
});

test('a class instance and a function open there; a getter is shown, never called', async () => {
  const thing = on('w1', await open('w1', 'crewThing'));
  assert.equal(thing.kind, 'Secretive');
  const kids = (await page(thing, 0, 50)).children;
  assert.deepEqual(
    kids.map((c) => [c.name, c.kind]),
    [
      ['[[Prototype]]', 'object'],
      ['shown', 'number'],
    ],
  );
  const proto = on('w1', await child(thing, 0));
  const methods = (await page(proto, 0, 50)).children.map((c) => [c.name, c.summary]);
  assert.ok(
    methods.some(([n, v]) => n === 'trap' && v === '(getter)'),
    JSON.stringify(methods),
  );
  const trapped = await s.request(P.EvalOn.type, { code: 'typeof crewTrapped', worker: 'w1' });
  assert.equal(trapped.outcomes[0].value, "'undefined'");
  const fn = on('w1', await open('w1', 'crewFn'));
  assert.equal(fn.kind, 'function');
  const source = (await page(fn, 0, 1)).children[0];
  assert.equal(source.name, '[[Source]]');
  assert.match(source.summary, /function crewFn\(a, b = 2\)/);
});

test('the master image opens too', async () => {
  await s.request(P.EvalMaster.type, { code: 'var crewOnMaster = [1, 2, 3]' });
  const root = on('master', await open('master', 'crewOnMaster'));
  assert.deepEqual([root.kind, root.total], ['Array', 3]);
  assert.deepEqual(
    (await page(root, 1, 5)).children.map((c) => c.summary),
    ['2', '3'],
  );
});

test('a released handle is gone, and at most 1000 are held', async () => {
  const root = on('w1', await open('w1', '[10, 20]'));
  assert.deepEqual(await s.request(I.InspectRelease.type, { worker: 'w1', handles: [root.handle] }), { released: 1 });
  const gone = await rejection(page(root, 0, 1));
  assert.equal(gone.data.code, 'CREW_INSPECT_GONE');
  assert.match(gone.message, /no longer held on this worker: it was released/);
  const oldest = on('w1', await open('w1', '({ a: 1 })'));
  for (let i = 0; i < 1000; i++) await open('w1', `({ n: ${i} })`);
  const evicted = await rejection(page(oldest, 0, 1));
  assert.equal(evicted.data.code, 'CREW_INSPECT_GONE');
  assert.match(evicted.message, /at most 1000 values are held/);
});

test('a busy worker is refused at once, and its restart invalidates what it held', async () => {
  const held = on('w1', await open('w1', 'crewBig'));
  s.workers.clear();
  const loop = s.request(P.EvalOn.type, { code: 'while (true) {}', worker: 'w1' });
  await s.workers.next((st) => st.workers.some((w) => w.id === 'w1' && w.inFlight > 0), 'w1 to be busy');
  const busy = await rejection(page(held, 0, 1));
  assert.equal(busy.data.code, 'CREW_WORKER_RUNNING');
  assert.match(busy.message, /w1 is running a task/);
  await s.request(P.Interrupt.type, { worker: 'w1' });
  assert.equal((await loop).outcomes[0].error?.code, 'CREW_INTERRUPTED');
  const gone = await rejection(page(held, 0, 1));
  assert.equal(gone.data.code, 'CREW_INSPECT_GONE');
  assert.match(gone.message, /eval thread restarted since it was opened/);
});

test('bad parameters are refused with a reason', async () => {
  const noWorker = await rejection(open('w9', '1'));
  assert.equal(noWorker.data.code, 'CREW_UNKNOWN_WORKER');
  const big = await rejection(
    s.request(I.InspectPageRead.type, { worker: 'w1', handle: 1, thread: 1, offset: 0, count: 10_000 }),
  );
  assert.match(big.message, /count must be at most 500/);
  const empty = await rejection(open('w1', '  '));
  assert.match(empty.message, /expression must be a non-empty string/);
  const thrown = await rejection(open('w2', 'nope.nope'));
  assert.match(thrown.message, /w2: nope is not defined/);
});
