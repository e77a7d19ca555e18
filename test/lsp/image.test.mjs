// `crew lsp` answering the editor's questions about the live images: completion of names
// that exist only at run time, members after a dot, `store` keys, a name's value on each
// worker (folded when equal) with a function's parameters; a busy worker is not asked and
// does not hold the answer up; a getter is never called; bad parameters are refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { rejection, startServer } from './lsp-client.mjs';

let s;
let P;
let I;
before(async () => {
  s = await startServer();
  P = s.P;
  I = await loadSource('protocol/messages/lsp-image-messages.ts');
  const r = await s.request(P.ConnectWorkers.type, { local: 2 });
  assert.deepEqual(r.errors, []);
});
after(async () => {
  await s?.stop();
});

/**
 * Asks as the editor does, once per keystroke or hover: a worker that does not answer in time
 * (a completion's 150 ms, a hover's second, on a busy machine) is named \`slow\`, and its
 * answer, kept when it comes, is in a later one.
 */
async function askedAgain(ask) {
  const deadline = Date.now() + scaled(30_000);
  for (;;) {
    const r = await ask();
    if (!r.missing?.some((m) => m.why === 'slow') || Date.now() > deadline) return r;
  }
}
const complete = (params) => askedAgain(() => s.request(I.ImageComplete.type, params));
const describe = (path) => askedAgain(() => s.request(I.ImageDescribe.type, { path }));
const item = (result, label) => result.items.find((i) => i.label === label);

test('a name defined only at run time is offered, saying where it lives and what it is', async () => {
  await s.request(P.EvalAllWorkers.type, {
    code: `Object.assign(globalThis, { ['crewDyn' + 'Helper']: function (a, b = [1, 2], ...rest) { return a } })`,
  });
  await s.request(P.EvalMaster.type, { code: `var crewDynOnMaster = new Map()` });
  const r = await complete({ context: 'name', prefix: 'crewDyn' });
  assert.deepEqual(item(r, 'crewDynHelper'), {
    label: 'crewDynHelper',
    kind: 'function',
    where: ['w1', 'w2'],
    params: ['a', 'b = [1, 2]', '...rest'],
  });
  assert.deepEqual(item(r, 'crewDynOnMaster'), { label: 'crewDynOnMaster', kind: 'Map', where: ['master'] });
  assert.deepEqual(r.missing, []);
  // The next evaluation is seen at once: answers are kept only until a worker runs something.
  await s.request(P.EvalOn.type, { code: `var crewDynLater = 'x'`, worker: 'w2' });
  const again = await complete({ context: 'name', prefix: 'crewDyn' });
  assert.deepEqual(item(again, 'crewDynLater'), { label: 'crewDynLater', kind: 'string', where: ['w2'] });
});

test("after a dot, a live object's keys and methods are offered", async () => {
  await s.request(P.EvalAllWorkers.type, {
    code: `class Bag { constructor() { this.items = []; this.count = 0 } add(x, weight = 1) {} }
globalThis.crewBag = new Bag(); crewBag.nested = { deep: 1 }`,
  });
  const r = await complete({ context: 'member', path: ['crewBag'], prefix: '' });
  const byLabel = Object.fromEntries(r.items.map((i) => [i.label, [i.kind, i.where.join(', '), i.params]]));
  assert.deepEqual(byLabel.items, ['Array', 'w1, w2', undefined]);
  assert.deepEqual(byLabel.count, ['number', 'w1, w2', undefined]);
  assert.deepEqual(byLabel.add, ['function', 'w1, w2', ['x', 'weight = 1']]);
  assert.ok(!Object.hasOwn(byLabel, 'constructor'), 'what every object has is left to TypeScript');
  const deeper = await complete({ context: 'member', path: ['crewBag', 'nested'], prefix: 'd' });
  assert.deepEqual(
    deeper.items.map((i) => i.label),
    ['deep'],
  );
});

test('store keys come from each worker that holds them', async () => {
  await s.request(P.EvalOn.type, {
    code: `store.set('crewKeyOnW1', [1]); store.set(7, 'not a string key')`,
    worker: 'w1',
  });
  await s.request(P.EvalAllWorkers.type, { code: `store.set('crewKeyShared', 1)` });
  const r = await complete({ context: 'storeKey', prefix: 'crewKey' });
  assert.deepEqual(r.items.map((i) => [i.label, i.where.join(', ')]).sort(), [
    ['crewKeyOnW1', 'w1'],
    ['crewKeyShared', 'w1, w2'],
  ]);
});

test('an image with many names answers with at most 1000, and typing more narrows them', async () => {
  await s.request(P.EvalAllWorkers.type, { code: 'for (let i = 0; i < 1500; i++) globalThis[`crewMany${i}`] = i' });
  const all = await complete({ context: 'name', prefix: 'crewMany' });
  assert.deepEqual([all.items.length, all.truncated], [1000, true]);
  // Filtered as the editor filters: the letters typed, in order.
  const few = await complete({ context: 'name', prefix: 'crewMany149' });
  const labels = few.items.map((i) => i.label);
  assert.equal(few.truncated, false);
  assert.ok(labels.includes('crewMany149') && labels.includes('crewMany1499') && labels.includes('crewMany1049'));
  assert.ok(!labels.includes('crewMany150') && labels.length < 50, labels.join(' '));
  // More names than one answer holds (2,000): the workers are asked again by the letter typed.
  await s.request(P.EvalAllWorkers.type, { code: 'for (let i = 0; i < 1000; i++) globalThis[`zzFill${i}`] = i' });
  const late = await complete({ context: 'name', prefix: 'zzFill99' });
  assert.deepEqual(item(late, 'zzFill999')?.where, ['w1', 'w2']);
});

test('registered agent names are offered from the registry every node follows', async () => {
  await s.request(P.EvalMaster.type, { code: `register('crewAgentAlpha', self())` });
  const r = await complete({ context: 'agentName', prefix: 'crewAgent' });
  assert.deepEqual(r.items, [{ label: 'crewAgentAlpha', kind: 'agent name', where: ['master'] }]);
  await s.request(P.EvalMaster.type, { code: `unregister('crewAgentAlpha')` });
  assert.deepEqual((await complete({ context: 'agentName', prefix: 'crewAgent' })).items, []);
});

test('a value is shown on each worker, folded when equal, with a function parameters', async () => {
  await s.request(P.EvalAllWorkers.type, { code: `globalThis.crewPid = process.pid; globalThis.crewSame = { n: 42 }` });
  const pids = await describe(['crewPid']);
  assert.deepEqual(
    pids.values.map((v) => [v.where.join(', '), v.kind]),
    [
      ['w1', 'number'],
      ['w2', 'number'],
    ],
  );
  assert.notEqual(pids.values[0].printed, pids.values[1].printed);
  const same = await describe(['crewSame']);
  assert.deepEqual(same.values, [{ where: ['w1', 'w2'], kind: 'object', printed: '{ n: 42 }' }]);
  const fn = await describe(['crewBag', 'add']);
  assert.deepEqual(fn.signature, { name: 'add', params: ['x', 'weight = 1'] });
  assert.deepEqual((await describe(['crewNothingHere'])).values, []);
});

test('a getter on the path is never called', async () => {
  await s.request(P.EvalAllWorkers.type, {
    code: `Object.defineProperty(globalThis, 'crewTrap', {
  enumerable: true,
  get() { globalThis.crewTrapped = true; return { x: 1 } },
})`,
  });
  const r = await complete({ context: 'member', path: ['crewTrap'], prefix: '' });
  assert.deepEqual(r.items, []);
  assert.deepEqual((await describe(['crewTrap', 'x'])).values, []);
  const names = await complete({ context: 'name', prefix: 'crewTrap' });
  assert.deepEqual(item(names, 'crewTrap')?.kind, 'getter');
  const trapped = await s.request(P.EvalAllWorkers.type, { code: `typeof globalThis.crewTrapped` });
  assert.deepEqual(
    trapped.outcomes.map((o) => o.value),
    ["'undefined'", "'undefined'"],
  );
});

test('a busy worker is not asked and does not hold completion up', async () => {
  await s.request(P.EvalOn.type, { code: `var crewBeforeBusy = 1`, worker: 'w1' });
  await s.request(P.EvalOn.type, { code: `var crewWhileBusy = 2`, worker: 'w2' });
  assert.deepEqual(item(await complete({ context: 'name', prefix: 'crewBusy' }), 'crewBeforeBusy')?.where, ['w1']);
  // w1 loops for a minute; completion must come back while it does.
  s.workers.clear();
  const busy = s.request(P.EvalOn.type, {
    code: `const until = Date.now() + 60000; while (Date.now() < until) {}`,
    worker: 'w1',
  });
  await s.workers.next((st) => st.workers.some((w) => w.id === 'w1' && w.inFlight > 0), 'w1 to be busy');
  const started = Date.now();
  const r = await complete({ context: 'name', prefix: 'crewBusy' });
  const tookMs = Date.now() - started;
  assert.deepEqual(r.missing, [{ worker: 'w1', why: 'busy' }]);
  assert.deepEqual(item(r, 'crewWhileBusy')?.where, ['w2']);
  // What w1 said before its task is still offered.
  assert.deepEqual(item(r, 'crewBeforeBusy')?.where, ['w1']);
  assert.ok(tookMs < 5000, `completion took ${tookMs} ms while w1 was busy for a minute`);
  // A question never asked before goes to w2 alone.
  const members = await complete({ context: 'member', path: ['crewBag'], prefix: 'ad' });
  assert.deepEqual(members.missing, [{ worker: 'w1', why: 'busy' }]);
  const interrupted = await s.request(P.Interrupt.type, { worker: 'w1' });
  assert.deepEqual(interrupted.interrupted, ['w1']);
  const ended = await busy;
  assert.equal(ended.outcomes[0].error?.code, 'CREW_INTERRUPTED');
});

test('bad parameters are refused with a reason', async () => {
  const bad = await rejection(complete({ context: 'everything' }));
  assert.equal(bad.code, P.LspErrorCodes.InvalidParams);
  assert.match(bad.message, /context must be one of name, member, storeKey, agentName/);
  assert.equal(bad.data.code, 'CREW_BAD_ARGUMENT');
  const path = await rejection(describe('crewBag'));
  assert.match(path.message, /crew\/imageDescribe: path must be an array/);
  const member = await rejection(complete({ context: 'member', path: [] }));
  assert.match(member.message, /path must be an array of 1 to 16 property names/);
});
