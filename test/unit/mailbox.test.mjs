// An agent's mailbox: bounded for messages (the rest dropped and counted), unbounded and
// first for notices, receive with a timeout, and closing when its agent ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const { Mailbox } = await loadSource('worker/agents/mailbox.ts');
const { crewError, ErrorCodes } = await loadSource('protocol/errors.ts');

test('a full mailbox drops messages and counts them; what it kept comes out in order', async () => {
  const box = new Mailbox(2);
  assert.equal(box.put('a', false), true);
  assert.equal(box.put('b', false), true);
  assert.equal(box.put('c', false), false, 'the third message finds the mailbox full');
  assert.deepEqual(box.stats(), { received: 0, dropped: 1, queued: 2, mailboxSize: 2 });
  assert.equal(await box.take(), 'a');
  assert.equal(box.put('d', false), true, 'taking one makes room for one');
  assert.equal(await box.take(), 'b');
  assert.equal(await box.take(), 'd');
  assert.deepEqual(box.stats(), { received: 3, dropped: 1, queued: 0, mailboxSize: 2 });
});

test('notices skip the bound and are taken before waiting messages', async () => {
  const box = new Mailbox(1);
  box.put('message', false);
  assert.equal(box.put('notice 1', true), true);
  assert.equal(box.put('notice 2', true), true, 'a notice is never dropped');
  assert.equal(box.stats().queued, 3);
  assert.equal(await box.take(), 'notice 1');
  assert.equal(await box.take(), 'notice 2');
  assert.equal(await box.take(), 'message');
});

test('a receive that is waiting gets the next message, in the order receivers came', async () => {
  const box = new Mailbox(10);
  const first = box.take();
  const second = box.take();
  box.put(1, false);
  box.put(2, true);
  assert.equal(await first, 1);
  assert.equal(await second, 2);
  assert.equal(box.stats().received, 2);
});

test('receive with a timeout rejects with CREW_TIMEOUT, and a later message still arrives', async () => {
  const box = new Mailbox(10);
  await assert.rejects(box.take(0), { code: ErrorCodes.Timeout });
  await assert.rejects(box.take(10), (err) => err.code === ErrorCodes.Timeout && /within 10 ms/.test(err.message));
  box.put('late', false);
  assert.equal(await box.take(10), 'late', 'the timed-out receive did not take it');
});

test('a message that comes before the timeout resolves the receive', async () => {
  const box = new Mailbox(10);
  const waiting = box.take(60_000);
  box.put('in time', false);
  assert.equal(await waiting, 'in time');
});

test('closing rejects the receives waiting and later ones, and drops what is sent after', async () => {
  const box = new Mailbox(10);
  const waiting = box.take();
  const why = crewError(ErrorCodes.AgentExit, 'agent ended');
  box.close(why);
  await assert.rejects(waiting, { code: ErrorCodes.AgentExit });
  await assert.rejects(box.take(), { code: ErrorCodes.AgentExit });
  assert.equal(box.put('too late', true), false);
  assert.equal(box.stats().dropped, 1);
});
