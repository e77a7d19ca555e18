// Erlangen's agents: spawn, send, receive, exit notices, links, mailboxes and names, on real
// workers and on the master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  agentStats,
  ErrorCodes,
  evalOn,
  exitAgent,
  form,
  receive,
  register,
  self,
  send,
  spawn,
  unregister,
  whereis,
} from 'crew';
import { localPool, sharedPool } from '../helpers.mjs';

/* global store -- agents run on the workers, where store is a global */

const shared = sharedPool(2);

const next = (timeout = 20_000) => receive({ timeout });

test('an agent on a worker answers messages from the master, and its exit notice says ok', async () => {
  const echo = await spawn(
    shared.pool,
    async () => {
      for (;;) {
        const [from, m] = await receive();
        if (m === 'stop') return 'stopped';
        send(from, ['echo', m, self().node]);
      }
    },
    { worker: 'w1', attach: 'monitor' },
  );
  assert.deepEqual(Object.keys(echo).sort(), ['agent', 'node', 'pool']);
  assert.equal(echo.node, 'w1');
  send(echo, [self(), { deep: new Map([[1, 'one']]) }]);
  assert.deepEqual(await next(), ['echo', { deep: new Map([[1, 'one']]) }, 'w1']);
  // A reference is plain data: a copy of it works as well as the original.
  send(JSON.parse(JSON.stringify(echo)), [self(), 'again']);
  assert.deepEqual(await next(), ['echo', 'again', 'w1']);
  send(echo, [self(), 'stop']);
  assert.deepEqual(await next(), [echo, 'ok', 'stopped']);
});

test('agents on two workers talk to each other directly', async () => {
  const pong = await spawn(
    shared.pool,
    async () => {
      for (let i = 0; i < 3; i++) {
        const [from, n] = await receive();
        send(from, [self(), n + 1]);
      }
      return 'pong done';
    },
    { worker: 'w2' },
  );
  const ping = await spawn(
    shared.pool,
    form(async (peer) => {
      let n = 0;
      for (let i = 0; i < 3; i++) {
        send(peer, [self(), n]);
        const [from, m] = await receive({ timeout: 10_000 });
        if (from.node !== 'w2') throw new Error(`reply from ${from.node}`);
        n = m + 1;
      }
      return n;
    }, pong),
    { worker: 'w1', attach: 'monitor' },
  );
  assert.deepEqual(await next(), [ping, 'ok', 6]);
});

test('agents on the master keep their closures; a throw becomes an exit notice', async () => {
  const seen = [];
  const a = await spawn(
    null,
    async () => {
      seen.push(await receive());
      return 'master agent done';
    },
    { attach: 'monitor' },
  );
  assert.equal(a.node, 'master');
  send(a, 'hello master');
  assert.deepEqual(await next(), [a, 'ok', 'master agent done']);
  assert.deepEqual(seen, ['hello master']);

  const w = await spawn(shared.pool, 'async () => { null.boom }', { worker: 'w2', attach: 'monitor' });
  const [ref, status, reason] = await next();
  assert.deepEqual([ref, status], [w, 'exit']);
  assert.ok(reason instanceof Error);
  assert.match(reason.message, /Cannot read properties of null/);
  const onMaster = await spawn(shared.pool, async () => 'ran on the master', { worker: 'master', attach: 'monitor' });
  assert.deepEqual(await next(), [onMaster, 'ok', 'ran on the master']);
});

test("a 'link' ends the linked agent too: a failing child ends its parent", async () => {
  const parent = await spawn(
    null,
    async () => {
      await spawn(
        shared.pool,
        async () => {
          throw new RangeError('child failed');
        },
        { worker: 'w1', attach: 'link' },
      );
      await receive();
      return 'not reached';
    },
    { attach: 'monitor' },
  );
  const [ref, status, reason] = await next();
  assert.deepEqual([ref, status], [parent, 'exit']);
  // The parent's reason is the child's own exit notice.
  assert.equal(reason[0].node, 'w1');
  assert.equal(reason[1], 'exit');
  assert.equal(reason[2].message, 'child failed');
});

test("a 'link' works the other way: ending the parent ends the child", async () => {
  const me = self();
  const parent = await spawn(
    null,
    async () => {
      await spawn(
        shared.pool,
        form(async (boss) => {
          try {
            await receive();
          } catch (err) {
            send(boss, ['child ended', err.message]);
            throw err;
          }
        }, me),
        { worker: 'w2', attach: 'link' },
      );
      await receive();
    },
    { attach: 'monitor' },
  );
  // Give the parent time to spawn its child before ending it.
  await evalOn(shared.pool, 'w2', '1');
  exitAgent(parent, 'shutdown');
  const got = [await next(), await next()].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  assert.deepEqual(
    got.find((m) => m[0] === parent),
    [parent, 'exit', 'shutdown'],
  );
  const child = got.find((m) => m[0] === 'child ended');
  assert.match(child[1], /was ended: .*'exit', 'shutdown'/);
});

test('links between agents on one worker, made with the worker-side spawn', async () => {
  const parent = await spawn(
    shared.pool,
    async () => {
      spawn(
        async () => {
          throw new Error('local child failed');
        },
        { attach: 'link' },
      );
      await receive();
    },
    { worker: 'w1', attach: 'monitor' },
  );
  const [ref, status, reason] = await next();
  assert.deepEqual([ref, status], [parent, 'exit']);
  assert.equal(reason[2].message, 'local child failed');
});

test('mailbox overflow: messages beyond mailboxSize are dropped and counted; notices are not', async () => {
  await evalOn(shared.pool, 'w1', `store.set('gate', new Promise((r) => store.set('open', r))); 0`);
  const a = await spawn(
    shared.pool,
    async () => {
      await store.get('gate');
      const got = [];
      for (;;) {
        try {
          got.push(await receive({ timeout: 0 }));
        } catch {
          break;
        }
      }
      return { got, stats: agentStats() };
    },
    { worker: 'w1', mailboxSize: 3, attach: 'monitor' },
  );
  for (let i = 1; i <= 5; i++) send(a, i);
  // Tasks and agent messages share the link, in order: all five have arrived when this runs.
  await evalOn(shared.pool, 'w1', `store.get('open')(); 0`);
  assert.deepEqual(await next(), [
    a,
    'ok',
    { got: [1, 2, 3], stats: { received: 3, dropped: 2, queued: 0, mailboxSize: 3 } },
  ]);

  const b = await spawn(
    shared.pool,
    async () => {
      send(self(), 'a');
      send(self(), 'b');
      let childEnded;
      const ended = new Promise((r) => (childEnded = r));
      spawn(
        async () => {
          setImmediate(childEnded);
          return 'child done';
        },
        { attach: 'monitor' },
      );
      await ended;
      // The mailbox holds one message and is full, yet the notice got in, and comes first.
      const first = await receive();
      const second = await receive({ timeout: 0 });
      return [first[1], first[2], second, agentStats().dropped];
    },
    { worker: 'w2', mailboxSize: 1, attach: 'monitor' },
  );
  assert.deepEqual(await next(), [b, 'ok', ['ok', 'child done', 'a', 1]]);
});

test('receive times out with CREW_TIMEOUT, in an agent and on the master', async () => {
  await assert.rejects(
    receive({ timeout: 20 }),
    (err) => err.code === ErrorCodes.Timeout && /no message within 20 ms/.test(err.message),
  );
  await assert.rejects(receive({ timeout: -1 }), (err) => err.code === ErrorCodes.BadArgument);
  await assert.rejects(receive({ timeout: 'soon' }), (err) => err.code === ErrorCodes.BadArgument);
  const a = await spawn(shared.pool, 'async () => receive({ timeout: 30 })', { worker: 'w2', attach: 'monitor' });
  const [ref, status, reason] = await next();
  assert.deepEqual([ref, status], [a, 'exit']);
  assert.match(reason.message, /receive\(\) got no message within 30 ms/);
  await assert.rejects(evalOn(shared.pool, 'w1', 'receive()'), /receive\(\) is only available inside an agent/);
});

test('names: an agent registered by name is reached by it from the master and from other workers', async () => {
  const counter = await spawn(
    shared.pool,
    async () => {
      let total = 0;
      for (;;) {
        const m = await receive();
        if (m === 'done') return total;
        total += m;
      }
    },
    { worker: 'w2', name: 'counter', attach: 'monitor' },
  );
  assert.deepEqual(whereis('counter'), counter);
  await assert.rejects(
    spawn(shared.pool, 'async () => 1', { name: 'counter' }),
    (err) => err.code === ErrorCodes.BadArgument && /already registered/.test(err.message),
  );
  send('counter', 1);
  const helper = await spawn(
    shared.pool,
    async () => {
      send('counter', 10);
      return whereis('counter').node;
    },
    { worker: 'w1', attach: 'monitor' },
  );
  assert.deepEqual(await next(), [helper, 'ok', 'w2']);
  send('counter', 'done');
  assert.deepEqual(await next(), [counter, 'ok', 11]);
  assert.equal(whereis('counter'), undefined, 'the name goes when the agent ends');

  register('me', self());
  assert.deepEqual(whereis('me'), self());
  unregister('me');
  assert.equal(whereis('me'), undefined);
});

test('bad input: unknown names and references, bad options, a form that is not a function', async () => {
  assert.throws(
    () => send('nobody', 1),
    (err) => err.code === ErrorCodes.UnknownAgent && /no agent is registered as "nobody"/.test(err.message),
  );
  assert.throws(
    () => send({ name: 'x' }, 1),
    (err) => err.code === ErrorCodes.UnknownAgent && /not an agent reference/.test(err.message),
  );
  // Only data crosses the wire; on the master itself messages are handed over as they are.
  assert.throws(
    () => send({ agent: 1, node: 'w1', pool: 'p' }, { f: () => 1 }),
    (err) => err.code === ErrorCodes.NotSerializable && /function f at message\.f/.test(err.message),
  );
  const sender = await spawn(shared.pool, `async () => { send('nobody', 1) }`, { worker: 'w1', attach: 'monitor' });
  const [ref, status, reason] = await next();
  assert.deepEqual([ref, status], [sender, 'exit']);
  assert.match(reason.message, /no agent is registered as "nobody"/);
  await assert.rejects(
    spawn(shared.pool, 'async () => 1', { attach: 'bogus' }),
    (err) => err.code === ErrorCodes.BadArgument,
  );
  await assert.rejects(
    spawn(shared.pool, 'async () => 1', { mailboxSize: 0 }),
    (err) => err.code === ErrorCodes.BadArgument,
  );
  await assert.rejects(
    spawn(shared.pool, 'async () => 1', { worker: 'w9' }),
    (err) => err.code === ErrorCodes.UnknownWorker,
  );
  await assert.rejects(spawn(shared.pool, '42', { worker: 'w1' }), /an agent must be a function, got number/);
  assert.throws(
    () => exitAgent('nobody'),
    (err) => err.code === ErrorCodes.UnknownAgent,
  );
});

test('an agent on a worker that dies: its monitor is told', async () => {
  const own = await localPool(2);
  try {
    const pid = await evalOn(own, 'w2', 'process.pid');
    const a = await spawn(own, 'async () => receive()', { worker: 'w2', attach: 'monitor' });
    process.kill(pid, 'SIGKILL');
    assert.deepEqual(await next(), [a, 'exit', 'worker w2 went away']);
  } finally {
    await own.close();
  }
});
