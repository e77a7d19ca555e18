// A pool's agent router through its narrow interface (AgentPool over test peers) and a
// MasterAgents of the test's own: links and monitors that cross nodes, the notices the master
// sends when an agent's worker or eval thread is lost, and the registry of names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { sentOf, testPeer } from './test-peer.mjs';

const { AgentRouter } = await loadSource('server/agents/agent-router.ts');
const { MasterAgents } = await loadSource('server/agents/master-agents.ts');
const { decodeValue, encodeValue } = await loadSource('protocol/codec/codec.ts');
const { ErrorCodes } = await loadSource('protocol/errors.ts');

/** A pool of test peers, a router for it, and master agents that are this test's alone. */
function setup(ids = ['w1', 'w2']) {
  const peers = new Map(ids.map((id) => [id, testPeer(id)]));
  const pool = {
    closed: false,
    nodes: () => peers.values(),
    node: (id) => peers.get(id),
  };
  const master = new MasterAgents();
  const router = new AgentRouter(pool, master);
  router.sync();
  /** Worker `id` leaves the pool. */
  const leave = (id) => {
    peers.delete(id);
    router.sync();
  };
  const ref = (node, agent) => ({ agent, node, pool: router.token });
  return { peers, pool, master, router, leave, ref, top: master.runtime.self() };
}

const agentOps = (peer, op) => sentOf(peer, 'agent').filter((m) => m.op === op);

test('each worker is greeted once with its node id and the names', () => {
  const { peers, router } = setup();
  router.sync();
  for (const [id, peer] of peers) {
    assert.deepEqual(agentOps(peer, 'node'), [{ t: 'agent', op: 'node', node: id, pool: router.token }]);
    assert.deepEqual(agentOps(peer, 'names'), [{ t: 'agent', op: 'names', names: [] }]);
  }
});

test('a monitor across nodes gets one exit notice when the agent ends', async () => {
  const { peers, master, router, leave, ref, top } = setup();
  const target = ref('w1', 5);
  master.runtime.link(target, 'monitor');
  assert.deepEqual(agentOps(peers.get('w1'), 'link'), [
    { t: 'agent', op: 'link', from: top, to: target, mode: 'monitor' },
  ]);
  // The agent ends on w1, which tells its monitor through the master.
  router.handle({ t: 'agent', op: 'notice', to: top, notice: encodeValue([target, 'ok', 42]) });
  assert.deepEqual(await master.runtime.receive({ timeout: 0 }), [target, 'ok', 42]);
  // The worker going away afterwards is no second notice.
  leave('w1');
  await assert.rejects(master.runtime.receive({ timeout: 0 }), { code: ErrorCodes.Timeout });
});

test('a link across workers ends the other agent when its worker goes away', () => {
  const { peers, router, leave, ref } = setup();
  const a = ref('w1', 3);
  const b = ref('w2', 8);
  router.handle({ t: 'agent', op: 'link', from: a, to: b, mode: 'link' });
  assert.deepEqual(agentOps(peers.get('w2'), 'link'), [{ t: 'agent', op: 'link', from: a, to: b, mode: 'link' }]);
  const w2 = peers.get('w2');
  leave('w1');
  const exits = agentOps(w2, 'exit');
  assert.equal(exits.length, 1);
  assert.deepEqual(exits[0].to, b);
  assert.deepEqual(decodeValue(exits[0].reason), [a, 'exit', 'worker w1 went away']);
});

test('an agent that ends tells its linked agent on another worker through the master, once', () => {
  const { peers, router, leave, ref } = setup();
  const a = ref('w1', 3);
  const b = ref('w2', 8);
  router.handle({ t: 'agent', op: 'link', from: a, to: b, mode: 'link' });
  router.handle({ t: 'agent', op: 'exit', to: b, reason: encodeValue([a, 'exit', 'boom']) });
  const w2 = peers.get('w2');
  assert.deepEqual(
    agentOps(w2, 'exit').map((m) => decodeValue(m.reason)),
    [[a, 'exit', 'boom']],
  );
  leave('w1');
  assert.equal(agentOps(w2, 'exit').length, 1, 'the master does not tell it again');
});

test('a watch on a node whose eval thread goes down gets the down notice', async () => {
  const { master, router, ref } = setup();
  const target = ref('w1', 2);
  master.runtime.link(target, 'monitor');
  router.handle({ t: 'agent', op: 'down', node: 'w1', pool: router.token, reason: 'out of memory' });
  assert.deepEqual(await master.runtime.receive({ timeout: 0 }), [
    target,
    'exit',
    'eval thread of w1 restarted: out of memory',
  ]);
});

test('a watch on a worker that leaves gets the notice that it went away', async () => {
  const { master, router, leave, ref } = setup();
  const target = ref('w2', 9);
  router.watch(target, master.runtime.self(), 'monitor');
  leave('w2');
  assert.deepEqual(await master.runtime.receive({ timeout: 0 }), [target, 'exit', 'worker w2 went away']);
});

test('a link to a node that is not there is answered with noproc at once', async () => {
  const { master, ref } = setup(['w1']);
  const nowhere = ref('w9', 1);
  master.runtime.link(nowhere, 'monitor');
  assert.deepEqual(await master.runtime.receive({ timeout: 0 }), [nowhere, 'exit', 'noproc']);
});

test('names: the first to register keeps it, every worker hears, and a lost node loses its names', () => {
  const { peers, master, router, ref } = setup();
  const a = ref('w1', 1);
  const b = ref('w2', 1);
  router.handle({ t: 'agent', op: 'register', name: 'counter', ref: a });
  router.handle({ t: 'agent', op: 'register', name: 'counter', ref: b });
  assert.deepEqual(master.runtime.names.get('counter'), a);
  const lastNames = (peer) => agentOps(peer, 'names').at(-1).names;
  assert.deepEqual(lastNames(peers.get('w2')), [['counter', a]]);
  router.handle({ t: 'agent', op: 'unregister', name: 'counter', ref: b });
  assert.deepEqual(master.runtime.names.get('counter'), a, 'only the holder can drop a name');
  router.handle({ t: 'agent', op: 'down', node: 'w1', pool: router.token, reason: 'restarted' });
  assert.equal(master.runtime.names.get('counter'), undefined);
  assert.deepEqual(lastNames(peers.get('w2')), []);
});

test('messages between nodes go to the node of the agent they are for', async () => {
  const { peers, master, router, ref, top } = setup();
  const b = ref('w2', 4);
  router.handle({ t: 'agent', op: 'deliver', to: b, message: encodeValue('hello') });
  assert.equal(agentOps(peers.get('w1'), 'deliver').length, 0);
  assert.equal(decodeValue(agentOps(peers.get('w2'), 'deliver')[0].message), 'hello');
  router.handle({ t: 'agent', op: 'deliver', to: top, message: encodeValue('to the master') });
  assert.equal(await master.runtime.receive({ timeout: 0 }), 'to the master');
});

test('a closed pool is no longer reachable from the master', () => {
  const { peers, pool, master, router, ref } = setup();
  const w1 = peers.get('w1');
  pool.closed = true;
  router.sync();
  assert.equal(master.hasPool(router.token), false);
  master.runtime.send(ref('w1', 1), 'lost');
  assert.equal(agentOps(w1, 'deliver').length, 0);
});
