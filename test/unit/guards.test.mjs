// The guards of the master <-> worker link, derived from one table: for every message type, a
// good message passes in its direction, one missing a field fails naming it, and the wrong
// direction fails; unknown tags fail both ways.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSource } from '../helpers.mjs';

const G = await loadSource('protocol/messages/worker-link-guards.ts');
const bytes = new Uint8Array([1, 2, 3]);
const ref = { agent: 1, node: 'w1', pool: 'p' };
const form = { id: 1, mode: 'value', code: '1', filename: 'a.js', line: 1, column: 1, cache: false };
const frame = { index: 0, functionName: 'f', file: 'a.ts', line: 1, column: 1, internal: false, scopes: [] };

/** One good message per tag, and the field whose absence must be refused (none for bare tags). */
const samples = [
  [
    { t: 'tasks', forms: [form], tasks: [{ id: 1, form: 1, args: bytes }], resultGroup: 2, sig: { seq: 1, mac: 'ab' } },
    'forms',
  ],
  [{ t: 'interrupt', taskId: 3 }, undefined],
  [{ t: 'shutdown', reason: 'bye' }, 'reason'],
  [{ t: 'ready', info: { name: 'w', host: 'h', pid: 1, node: 'v20' } }, 'info'],
  [{ t: 'leaving', reason: 'its Slurm job 7 ends at 12:00', handBack: [3, 4] }, 'handBack'],
  [{ t: 'results', results: [{ id: 1, ok: true, value: bytes, ms: 1 }] }, 'results'],
  [{ t: 'output', stream: 'stdout', text: 'x' }, 'text'],
  [{ t: 'evalThreadRestarted', reason: 'oom' }, 'reason'],
  [{ t: 'load', cpu: 0.5, rssBytes: 1e8, heapUsedBytes: 1e7 }, 'rssBytes'],
  [{ t: 'protocolError', code: 'CREW_BAD_FRAME', message: 'm' }, 'code'],
  [{ t: 'agent', op: 'deliver', to: ref, message: bytes }, 'to'],
  [{ t: 'debugMode', on: true }, 'on'],
  [{ t: 'debugRequest', reqId: 1, pauseId: 1, req: { op: 'evaluate', frame: 0, expression: 'x' } }, 'req'],
  [{ t: 'debugSuspend' }, undefined],
  [
    { t: 'debugPaused', pauseId: 1, condition: { reason: 'exception', name: 'E', message: 'm' }, frames: [frame] },
    'frames',
  ],
  [{ t: 'debugResumed', pauseId: 1, how: 'abort' }, 'how'],
  [{ t: 'debugResponse', reqId: 1, ok: true, answer: { values: [] } }, 'reqId'],
  [{ t: 'cdpOpen', debuggerId: 1 }, 'debuggerId'],
  [{ t: 'cdpMessage', debuggerId: 1, message: '{}' }, 'message'],
  [{ t: 'cdpClose', debuggerId: 1, reason: 'gone' }, 'debuggerId'],
  [{ t: 'moduleFetch', reqId: 1, hashes: ['ab'] }, 'hashes'],
  [{ t: 'moduleCodes', reqId: 1, modules: [{ hash: 'ab', path: '/p/lib.ts', code: 'x' }], missing: [] }, 'modules'],
  [{ t: 'imageAsk', reqId: 1, query: { op: 'inspectPage', handle: 1, thread: 1, offset: 0, count: 10 } }, 'query'],
  [{ t: 'imageAnswer', reqId: 1, ok: true, reply: { entries: [] } }, 'reqId'],
  [{ t: 'imageTraced', calls: [{ name: 'f', args: '1', ok: true, value: '2', ms: 0.1, at: 1 }], dropped: 0 }, 'calls'],
  [{ t: 'profileAsk', reqId: 1, what: { kind: 'cpu', ms: 1000 } }, 'what'],
  [{ t: 'profileStop', reqId: 1 }, 'reqId'],
  [{ t: 'profileAnswer', reqId: 1, ok: true, data: '{"nodes":[]}' }, 'ok'],
];

const guardOf = { master: G.fromMaster, worker: G.fromWorker };

test('the samples cover every row of the table', () => {
  assert.deepEqual(samples.map(([m]) => m.t).sort(), [...G.linkMessageSenders.keys()].sort());
});

for (const [msg, field] of samples) {
  const from = G.linkMessageSenders.get(msg.t);
  const senders = from === 'both' ? ['master', 'worker'] : [from];
  const name =
    `${msg.t}: passes from ${senders.join(' and ')}` +
    `${field ? `, fails without ${field}` : ''}${from === 'both' ? '' : ', fails the other way'}`;
  test(name, () => {
    for (const s of senders) {
      assert.equal(guardOf[s].problem(msg), undefined, `${msg.t} from a ${s}`);
      assert.equal(guardOf[s].is(msg), true);
    }
    if (field) {
      const { [field]: _, ...without } = msg;
      for (const s of senders) assert.equal(guardOf[s].problem(without), `${msg.t}.${field} is missing`);
    }
    if (from !== 'both') {
      const other = from === 'master' ? 'worker' : 'master';
      assert.equal(guardOf[other].problem(msg), `${msg.t} is sent by a ${from}, not by a ${other}`);
      assert.equal(from === 'master' ? G.isWorkerToMaster(msg) : G.isMasterToWorker(msg), false);
    }
  });
}

test('unknown tags, untagged values and non-objects fail both ways', () => {
  for (const g of [G.fromMaster, G.fromWorker]) {
    assert.equal(g.problem({ t: 'launchMissiles' }), 'unknown message tag "launchMissiles"');
    assert.equal(g.problem({ x: 1 }), 'the message has no string tag t');
    assert.equal(g.problem(null), 'the frame holds null, not a message');
    assert.equal(g.problem(7), 'the frame holds number, not a message');
  }
});

test('nested fields are named by their path', () => {
  const bad = { t: 'tasks', forms: [form], tasks: [{ id: 1, form: 'one' }] };
  assert.equal(G.fromMaster.problem(bad), 'tasks.tasks[0].form is not a number');
  assert.equal(
    G.fromMaster.problem({ ...bad, tasks: [], resultGroup: 0 }),
    'tasks.resultGroup is not an integer of at least 1',
  );
  assert.equal(
    G.fromWorker.problem({ t: 'agent', op: 'fly' }),
    'agent.op "fly" is not one of node, deliver, notice, exit, link, unlink, down, register, unregister, names',
  );
  assert.match(
    G.fromWorker.problem({ t: 'results', results: [{ id: 1, ok: 'yes', value: bytes, ms: 1 }] }),
    /results\.results\[0\]\.ok is not one of true/,
  );
  assert.equal(
    G.fromWorker.problem({ t: 'output', stream: 'stdin', text: '' }),
    'output.stream is not one of "stdout", "stderr"',
  );
});
