// Erlangen's agents, continued: agents end with a reason when their worker's eval thread is
// replaced, and link / unlink attach agents after spawning. Real workers on loopback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ErrorCodes,
  evalOn,
  exitAgent,
  form,
  link,
  receive,
  register,
  self,
  send,
  spawn,
  unlink,
  unregister,
  whereis,
} from 'crew';
import { localPool, sharedPool } from '../helpers.mjs';

const shared = sharedPool(2);

const next = (timeout = 10_000) => receive({ timeout });
/** Nothing more comes: a notice given twice would be here by then. */
const nothingMore = () => assert.rejects(receive({ timeout: 300 }), (err) => err.code === ErrorCodes.Timeout);
const isRef = (x, ref) => typeof x === 'object' && x !== null && x.agent === ref.agent && x.node === ref.node;
/**
 * Spawns, on `worker` of `on` and monitored by the caller, an agent that links to `peer`,
 * says 'linked' to the caller and waits; returns its ref once it has linked.
 */
async function linkedAgent(on, peer, worker) {
  const ref = await spawn(
    on,
    form(
      async (p, boss) => {
        link(p);
        send(boss, 'linked');
        await receive();
      },
      peer,
      self(),
    ),
    { worker, attach: 'monitor' },
  );
  assert.equal(await next(), 'linked');
  return ref;
}

/** Takes `n` messages and returns the one whose first element is each of `refs`. */
async function noticesFor(...refs) {
  const got = [];
  for (const _ of refs) got.push(await next());
  return refs.map((ref) => {
    const n = got.find((m) => Array.isArray(m) && isRef(m[0], ref));
    assert.ok(n, `a notice for ${ref.node}#${ref.agent} in ${JSON.stringify(got)}`);
    return n;
  });
}

test(
  'an interrupted eval thread ends its agents with the cause: ' + 'monitors and links are told once, their names go',
  async () => {
    const a = await spawn(shared.pool, 'async () => receive()', { worker: 'w2', attach: 'monitor', name: 'doomed' });
    const me = self();
    const m = await spawn(
      null,
      async () => {
        link(a);
        send(me, 'linked');
        await receive();
      },
      { attach: 'monitor' },
    );
    assert.equal(await next(), 'linked');
    register('keeper', me);

    assert.deepEqual(shared.pool.interrupt('w2'), ['w2']);
    const reason = 'eval thread of w2 restarted: interrupted';
    const [ofA, ofM] = await noticesFor(a, m);
    assert.deepEqual(ofA, [a, 'exit', reason]);
    // The agent on the master was linked, so it ended too, with the lost agent's notice.
    assert.deepEqual(ofM, [m, 'exit', [a, 'exit', reason]]);
    assert.equal(whereis('doomed'), undefined, 'the name held by the lost agent is dropped');
    assert.throws(
      () => send('doomed', 1),
      (err) => err.code === ErrorCodes.UnknownAgent,
    );
    await nothingMore();

    // The fresh thread numbers its agents after the old one's, so an old reference reaches
    // nobody, and it knows the names.
    const b = await spawn(shared.pool, 'async () => [await receive(), whereis("keeper")]', {
      worker: 'w2',
      attach: 'monitor',
    });
    assert.ok(b.agent > a.agent, `w2#${b.agent} comes after w2#${a.agent}`);
    send(a, 'for the agent that is gone');
    send(b, 'for the new agent');
    assert.deepEqual(await next(), [b, 'ok', ['for the new agent', me]]);
    unregister('keeper');
  },
);

test(
  'a linked pair across workers: when one eval thread dies, ' +
    'the other agent ends, and monitors on other workers are told',
  async () => {
    const me = self();
    const b = await spawn(shared.pool, 'async () => receive()', { worker: 'w2', attach: 'monitor' });
    const a = await linkedAgent(shared.pool, b, 'w1');
    const c = await spawn(
      shared.pool,
      form(
        async (target, boss) => {
          link(target, 'monitor');
          send(boss, 'watching');
          return receive();
        },
        a,
        me,
      ),
      { worker: 'w2', attach: 'monitor' },
    );
    assert.equal(await next(), 'watching');

    await assert.rejects(evalOn(shared.pool, 'w1', 'process.exit(5)'), (err) => err.code === ErrorCodes.EvalThreadDied);
    const reason = 'eval thread of w1 restarted: the eval thread exited with code 5';
    const [ofA, ofB, ofC] = await noticesFor(a, b, c);
    assert.deepEqual(ofA, [a, 'exit', reason]);
    assert.deepEqual(ofB, [b, 'exit', [a, 'exit', reason]], 'the link ended the agent on the other worker');
    assert.deepEqual(ofC, [c, 'ok', [a, 'exit', reason]], 'the monitor on the other worker got the notice');
    await nothingMore();
  },
);

test('a link that crosses the interrupt on its way is answered once', async () => {
  const a = await spawn(shared.pool, 'async () => receive()', { worker: 'w2' });
  // The interrupt reaches the worker first, so the link finds the fresh thread, which no
  // longer knows the agent; the master has told the monitor already.
  shared.pool.interrupt('w2');
  link(a, 'monitor');
  assert.deepEqual(await next(), [a, 'exit', 'eval thread of w2 restarted: interrupted']);
  await nothingMore();
});

test('when a worker goes away, agents on other workers linked to its agents end too', async () => {
  const own = await localPool(2);
  try {
    const pid = await evalOn(own, 'w1', 'process.pid');
    const a = await spawn(own, 'async () => receive()', { worker: 'w1' });
    const b = await linkedAgent(own, a, 'w2');
    process.kill(pid, 'SIGKILL');
    assert.deepEqual(await next(), [b, 'exit', [a, 'exit', 'worker w1 went away']]);
  } finally {
    await own.close();
  }
});

test('link and unlink after spawning, from the master top level', async () => {
  const x = await spawn(shared.pool, 'async () => receive()', { worker: 'w1' });
  link(x, 'monitor');
  link(x, 'monitor');
  send(x, 'done');
  assert.deepEqual(await next(), [x, 'ok', 'done']);
  await nothingMore();

  // Linking to an agent that has ended answers at once, as Erlang does.
  link(x);
  assert.deepEqual(await next(), [x, 'exit', 'noproc']);
  const nowhere = { agent: 1, node: 'w9', pool: x.pool };
  link(nowhere, 'monitor');
  assert.deepEqual(await next(), [nowhere, 'exit', 'noproc']);

  // After unlink the top level gets no notice; an agent on the master that monitors the same
  // agent, attached after it, shows when the notice would have come.
  const y = await spawn(shared.pool, 'async () => receive()', { worker: 'w2' });
  link(y, 'monitor');
  const me = self();
  await spawn(null, async () => {
    link(y, 'monitor');
    send(me, 'watching');
    send(me, ['seen', await receive()]);
  });
  assert.equal(await next(), 'watching');
  unlink(y);
  send(y, 'done');
  assert.deepEqual(await next(), ['seen', [y, 'ok', 'done']]);
  await nothingMore();

  assert.throws(
    () => link(self()),
    (err) => err.code === ErrorCodes.BadArgument && /cannot link to itself/.test(err.message),
  );
  assert.throws(
    () => unlink(self()),
    (err) => err.code === ErrorCodes.BadArgument,
  );
  assert.throws(
    () => link(x, 'bogus'),
    (err) => err.code === ErrorCodes.BadArgument && /'link' or 'monitor'/.test(err.message),
  );
  assert.throws(
    () => link('nobody'),
    (err) => err.code === ErrorCodes.UnknownAgent,
  );
});

test('link and unlink inside agents, on workers and on the master', async () => {
  const me = self();
  // An agent on a worker monitors one on the other worker.
  const target = await spawn(shared.pool, 'async () => receive()', { worker: 'w2' });
  const watcher = await spawn(
    shared.pool,
    form(async (t) => {
      link(t, 'monitor');
      send(t, 'bye');
      return receive({ timeout: 10_000 });
    }, target),
    { worker: 'w1', attach: 'monitor' },
  );
  assert.deepEqual(await next(), [watcher, 'ok', [target, 'ok', 'bye']]);

  // ... and one that unlinks hears nothing.
  const quiet = await spawn(shared.pool, 'async () => receive()', { worker: 'w2' });
  const unlinked = await spawn(
    shared.pool,
    form(async (t) => {
      link(t, 'monitor');
      unlink(t);
      send(t, 'bye');
      return receive({ timeout: 500 }).then(
        (n) => n,
        (err) => err.code,
      );
    }, quiet),
    { worker: 'w1', attach: 'monitor' },
  );
  assert.deepEqual(await next(), [unlinked, 'ok', ErrorCodes.Timeout]);

  // An agent on a worker linked to an agent on the master ends when that one fails.
  const m = await spawn(null, async () => {
    throw new Error(await receive());
  });
  const w = await linkedAgent(shared.pool, m, 'w2');
  send(m, 'master agent failed');
  const [ref, status, reason] = await next();
  assert.deepEqual([ref, status, reason[0], reason[1]], [w, 'exit', m, 'exit']);
  assert.equal(reason[2].message, 'master agent failed');

  // An agent on the master that links, unlinks and fails leaves the other agent running.
  const survivor = await spawn(
    shared.pool,
    'async () => { const [from, m] = await receive(); send(from, m); return "still here"; }',
    { worker: 'w1', attach: 'monitor' },
  );
  const loner = await spawn(
    null,
    async () => {
      link(survivor);
      unlink(survivor);
      throw new Error('ended alone');
    },
    { attach: 'monitor' },
  );
  const [lref, lstatus, lreason] = await next();
  assert.deepEqual([lref, lstatus, lreason.message], [loner, 'exit', 'ended alone']);
  send(survivor, [me, 'ping']);
  assert.equal(await next(), 'ping');
  assert.deepEqual(await next(), [survivor, 'ok', 'still here']);

  // A link made inside a worker to an agent there that has ended ends the caller.
  const late = await spawn(
    shared.pool,
    async () => {
      const child = spawn(async () => 'quick', { attach: 'monitor' });
      await receive(); // its exit notice: the child has ended
      link(child);
      await receive();
    },
    { worker: 'w1', attach: 'monitor' },
  );
  const [cref, cstatus, creason] = await next();
  assert.deepEqual([cref, cstatus, creason[1], creason[2]], [late, 'exit', 'exit', 'noproc']);

  // Links made with link() go both ways: ending the agent on the master ends its peer.
  const peer = await spawn(shared.pool, 'async () => receive()', { worker: 'w2', attach: 'monitor' });
  const boss = await spawn(null, async () => {
    link(peer);
    send(me, 'linked');
    await receive();
  });
  assert.equal(await next(), 'linked');
  exitAgent(boss, 'shutdown');
  assert.deepEqual(await next(), [peer, 'exit', [boss, 'exit', 'shutdown']]);
  await nothingMore();
});
