// The scheduler through SchedulerHooks and real WorkerLink objects over test peers: work goes
// to idle workers first, each worker's window bounds its tasks in flight, targeted tasks go to
// their worker only, and a lone task is sent without waiting for company.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { testPeerTransport } from './test-peer.mjs';

const { Scheduler } = await loadSource('server/pool/scheduler.ts');
const { WorkerLink } = await loadSource('server/pool/worker-link.ts');
const { encodeValue } = await loadSource('protocol/codec/codec.ts');

const def = { id: 1, mode: 'value', code: '1 + 1', filename: 'unit.js', line: 1, column: 1, cache: true };

function readyLink(id) {
  const link = new WorkerLink(id, { name: id, host: 'test', pid: 1, node: id }, testPeerTransport());
  link.state = 'ready';
  return link;
}

/** A scheduler over `links`; `sent` resolves on the next frame it sends. */
function schedulerFor(links) {
  const frames = [];
  let onFrame;
  const hooks = {
    readyLinks: () => links.filter((l) => l.state === 'ready'),
    onSent: (link, count) => {
      frames.push([link.id, count]);
      onFrame?.();
    },
  };
  const scheduler = new Scheduler(hooks, 3);
  for (const link of links) scheduler.track(link);
  const sent = () => new Promise((resolve) => (onFrame = resolve));
  return { scheduler, frames, sent };
}

let nextId = 1;
function task(extra = {}) {
  const outcomes = [];
  const t = { id: nextId++, def, kills: 0, settle: (o) => outcomes.push(o), ...extra };
  t.outcomes = outcomes;
  return t;
}

function result(t, ms = 0.01) {
  return { id: t.id, ok: true, value: encodeValue(t.id), ms };
}

test('a lone task is sent at once, in a frame of its own', async () => {
  const w1 = readyLink('w1');
  const { scheduler, frames, sent } = schedulerFor([w1]);
  const sentNow = sent();
  const t = task();
  scheduler.submit(t);
  await sentNow;
  assert.deepEqual(frames, [['w1', 1]]);
  assert.deepEqual([...w1.inflight.keys()], [t.id]);
  assert.equal(w1.transport.frames.length, 1);
  assert.equal(scheduler.queued, 0);
});

test('a lone task is not held back to fill a task group', async () => {
  const w1 = readyLink('w1');
  w1.taskGroup = 4;
  const { scheduler, frames, sent } = schedulerFor([w1]);
  const sentNow = sent();
  scheduler.submit(task());
  await sentNow;
  assert.deepEqual(frames, [['w1', 1]]);
});

test('work goes to the idle worker before the busy one', () => {
  const busy = readyLink('w1');
  const idle = readyLink('w2');
  const { scheduler } = schedulerFor([busy, idle]);
  scheduler.submit(task({ target: busy }));
  scheduler.dispatch();
  assert.equal(busy.inflight.size, 1);
  const t = task();
  scheduler.submit(t);
  scheduler.dispatch();
  assert.deepEqual([...idle.inflight.keys()], [t.id]);
  assert.equal(busy.inflight.size, 1);
});

test("each worker's window bounds its tasks in flight; results refill it", () => {
  const w1 = readyLink('w1');
  const { scheduler } = schedulerFor([w1]);
  const tasks = Array.from({ length: 10 }, () => task());
  for (const t of tasks) scheduler.submit(t);
  scheduler.dispatch();
  assert.equal(w1.window, 2, 'a worker of unknown speed gets a window of 2');
  assert.equal(w1.inflight.size, 2);
  assert.equal(scheduler.queued, 8);
  // Slow tasks shrink the window to one at a time.
  scheduler.onResults(w1, [result(tasks[0], 50), result(tasks[1], 50)]);
  assert.equal(w1.window, 1);
  assert.equal(w1.inflight.size, 1);
  assert.equal(scheduler.queued, 7);
  assert.equal(tasks[0].outcomes[0].ok, true);
  assert.equal(tasks[0].outcomes[0].value, tasks[0].id);
  assert.equal(tasks[2].outcomes.length, 0);
});

test('the queue is shared between workers, each up to its window', () => {
  const w1 = readyLink('w1');
  const w2 = readyLink('w2');
  const { scheduler } = schedulerFor([w1, w2]);
  for (let i = 0; i < 10; i++) scheduler.submit(task());
  scheduler.dispatch();
  assert.equal(w1.inflight.size, 2);
  assert.equal(w2.inflight.size, 2);
  assert.equal(scheduler.queued, 6);
});

test('targeted tasks go only to their worker, even past its window', () => {
  const w1 = readyLink('w1');
  const w2 = readyLink('w2');
  const { scheduler } = schedulerFor([w1, w2]);
  const targeted = Array.from({ length: 3 }, () => task({ target: w2 }));
  for (const t of targeted) scheduler.submit(t);
  scheduler.dispatch();
  assert.deepEqual(
    [...w2.inflight.keys()],
    targeted.map((t) => t.id),
  );
  assert.equal(w1.inflight.size, 0);
  assert.equal(scheduler.queued, 0, 'targeted tasks never wait in the shared queue');
});

test('a targeted task fails when its worker leaves; the others go back to the front of the queue', () => {
  const w1 = readyLink('w1');
  const w2 = readyLink('w2');
  const { scheduler } = schedulerFor([w1, w2]);
  const pinned = task({ target: w1 });
  const free = task();
  const later = task();
  scheduler.submit(pinned);
  scheduler.submit(free);
  scheduler.dispatch();
  assert.ok(w1.inflight.has(free.id), 'the first worker took the free task beside its own');
  scheduler.submit(later);
  w1.state = 'closed';
  w1.transport.close(1006);
  scheduler.onLinkClosed(w1, 'killed');
  assert.equal(pinned.outcomes[0].ok, false);
  assert.equal(pinned.outcomes[0].error.code, 'CREW_WORKER_LOST');
  assert.equal(free.kills, 1, 'a worker that died is a strike against its tasks');
  assert.equal(free.outcomes.length, 0, 'the free task is not failed');
  assert.equal(scheduler.queued, 2);
  scheduler.dispatch();
  assert.ok(w2.inflight.has(free.id), 'the task that was on a dying worker goes out first');
  assert.ok(!w2.inflight.has(later.id), 'and alone: a poisonous task cannot take others down with it');
});

test('a leaving worker hands back what it will not run: no strike, front of the queue, no more work for it', () => {
  const w1 = readyLink('w1');
  const w2 = readyLink('w2');
  const { scheduler } = schedulerFor([w1, w2]);
  const running = task();
  const queued = task();
  const pinned = task({ target: w1 });
  w2.state = 'replaying';
  for (const t of [running, queued]) scheduler.submit(t);
  scheduler.dispatch();
  assert.deepEqual([...w1.inflight.keys()], [running.id, queued.id]);
  w2.state = 'ready';
  scheduler.submit(pinned);
  const later = task();
  scheduler.submit(later);
  w1.state = 'leaving';
  scheduler.onHandBack(w1, [queued.id], 'its job ends');
  assert.equal(queued.kills, 0, 'a task handed back is no strike');
  assert.equal(queued.outcomes.length, 0, 'nor a failure');
  assert.deepEqual([...w1.inflight.keys()], [running.id], 'the running task stays until its result');
  assert.equal(pinned.outcomes[0]?.error.code, 'CREW_WORKER_LOST', 'a task for that worker alone fails');
  scheduler.dispatch();
  assert.ok(w2.inflight.has(queued.id) && w2.inflight.has(later.id), 'the other worker takes them');
  assert.deepEqual([...w1.inflight.keys()], [running.id], 'the leaving worker is sent nothing more');
  scheduler.onResults(w1, [result(running)]);
  assert.equal(running.outcomes[0].ok, true, 'what it finishes still counts');
  w1.state = 'closed';
  w1.transport.close(1000);
  scheduler.onLinkClosed(w1, 'left');
  assert.equal(scheduler.queued, 0, 'nothing is run twice');
});
