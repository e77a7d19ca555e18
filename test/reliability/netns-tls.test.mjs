// Encryption on the wire between two hosts, made with Linux network namespaces joined by a
// veth pair: a master in one, a worker in the other, a shared secret, and nothing else. The
// link is captured (tcpdump) during an evaluation in each dialing direction; the capture holds
// neither the form's text nor its result, as bytes or as WebSocket frames, while the same
// capture with --no-tls shows both. A man in the middle who terminates TLS gets no working
// connection and both ends say why; a wrong secret is refused; fuzzed ClientHellos and garbage
// before TLS are survived. Skipped, saying why, where namespaces or tcpdump are missing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSecret, record } from './helpers.mjs';
import {
  evaluateCaptured,
  MASTER_IP,
  skip,
  startFixture,
  startMaster,
  startWorker,
  M,
  W,
  WORKER_IP,
} from './netns-hosts.mjs';
import { scaled } from '../time-scale.mjs';

test(
  'a master dials a worker on another host: TLS with nothing to set up; the capture shows no form, no result',
  { skip, timeout: scaled(120_000) },
  async () => {
    const secret = newSecret();
    const w = await startWorker(W, secret, ['--port', '0'], ['--host', '0.0.0.0']);
    await w.out.waitFor(/listen .*tls=beyond-loopback cert=\//);
    const master = await startMaster(M, secret);
    assert.deepEqual(await master.call('connect', `${WORKER_IP}:${w.port}`), { ok: true });
    await w.out.waitFor(/session .*opened=10\.215\.0\.1:\d+ tls=true/);
    const seen = await evaluateCaptured(master, 'master-dials');
    assert.ok(seen.bytes > 500, `the evaluation was captured (${seen.bytes} bytes)`);
    assert.deepEqual(seen.formSeen, [], 'the form text is not on the wire');
    assert.deepEqual(seen.resultSeen, [], 'the result is not on the wire');
    record({
      row: 'netns-tls-master-dials',
      lost: 0,
      duplicated: 0,
      note: `${seen.bytes} bytes captured, no form, no result`,
    });
  },
);

test(
  'a worker on another host dials its master: TLS; the capture shows no form, no result',
  { skip, timeout: scaled(120_000) },
  async () => {
    const secret = newSecret();
    const master = await startMaster(M, secret, { CREW_HOST: '0.0.0.0' });
    await master.events.waitFor(/listen .*tls=beyond-loopback/);
    await startWorker(W, secret, ['--connect', `${MASTER_IP}:${master.port}`]);
    await master.call('waitForWorkers', 1, 30_000);
    const seen = await evaluateCaptured(master, 'worker-dials');
    assert.ok(seen.bytes > 500, `the evaluation was captured (${seen.bytes} bytes)`);
    assert.deepEqual(seen.formSeen, [], 'the form text is not on the wire');
    assert.deepEqual(seen.resultSeen, [], 'the result is not on the wire');
    record({
      row: 'netns-tls-worker-dials',
      lost: 0,
      duplicated: 0,
      note: `${seen.bytes} bytes captured, no form, no result`,
    });
  },
);

test(
  'with --no-tls on both ends the same capture shows the form and the result, and both ends warn',
  { skip, timeout: scaled(120_000) },
  async () => {
    const secret = newSecret();
    const w = await startWorker(W, secret, ['--port', '0'], ['--host', '0.0.0.0', '--no-tls']);
    await w.out.waitFor(/warning .*--no-tls/);
    const master = await startMaster(M, secret, { CREW_TLS: 'off' });
    assert.deepEqual(await master.call('connect', `${WORKER_IP}:${w.port}`), { ok: true });
    await master.events.waitFor(/warning tls=off why="dialing 10\.215\.0\.2 without TLS/);
    const seen = await evaluateCaptured(master, 'plain');
    assert.ok(
      seen.formSeen.some((f) => f.endsWith('frame')),
      'the form is readable in a frame',
    );
    assert.ok(seen.resultSeen.length > 0, 'the result is readable');
  },
);

test(
  'a man in the middle who terminates TLS gets no working connection, and both ends say why',
  { skip, timeout: scaled(120_000) },
  async () => {
    const secret = newSecret();
    const w = await startWorker(W, secret, ['--port', '0'], ['--host', '0.0.0.0']);
    const master = await startMaster(M, secret);
    const mitm = await startFixture(
      M,
      'tls-mitm.mjs',
      { CREW_MITM_LISTEN: `${MASTER_IP}:0`, CREW_MITM_TARGET: `${WORKER_IP}:${w.port}` },
      /"listening"/,
    );
    const via = `${MASTER_IP}:${mitm.first.listening}`;
    const outcome = await master.call('connect', via);
    assert.equal(outcome.ok, false);
    assert.match(outcome.error, /proved it knows the secret but saw another channel .*man in the middle/);
    await master.events.waitFor(new RegExp(`refused worker=${via.replace(/\./g, '\\.')} reason=".*man in the middle`));
    await w.out.waitFor(
      /refused peer=10\.215\.0\.1:\d+ reason=".*knows the secret but its handshake was made over another channel .*man in the middle/,
    );
    // The relay carried the handshake both ways, and nothing after it.
    const relayed = JSON.parse((await mitm.lines.waitFor(/"relayed"/)).text).relayed;
    assert.ok(relayed.up > 0 && relayed.down > 0, `the relay passed the handshake (${JSON.stringify(relayed)})`);
    assert.equal(await master.call('size'), 0, 'the master holds no worker');
    assert.equal(w.out.count(/ connect /), 0, 'the worker serves no master');
    record({
      row: 'netns-tls-mitm',
      lost: 0,
      duplicated: 0,
      note: 'TLS-terminating relay: no link; both ends audit "man in the middle"',
    });
  },
);

test('a master with a wrong secret is refused over TLS', { skip, timeout: scaled(60_000) }, async () => {
  const w = await startWorker(W, newSecret(), ['--port', '0'], ['--host', '0.0.0.0']);
  const master = await startMaster(M, newSecret());
  const outcome = await master.call('connect', `${WORKER_IP}:${w.port}`);
  assert.equal(outcome.ok, false);
  assert.match(outcome.error, /wrong or missing secret/);
  await w.out.waitFor(/refused peer=10\.215\.0\.1:\d+ reason=".*failed authentication: wrong or missing secret/);
});

test(
  'fuzzed ClientHellos, garbage before TLS and plain TCP from another host are survived',
  { skip, timeout: scaled(300_000) },
  async () => {
    const secret = newSecret();
    const w = await startWorker(W, secret, ['--port', '0'], ['--host', '0.0.0.0']);
    const seed = Number(process.env.CREW_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const count = 100;
    const fuzz = await startFixture(
      M,
      'tls-fuzz.mjs',
      { CREW_FUZZ_TARGET: `${WORKER_IP}:${w.port}`, CREW_FUZZ_COUNT: String(count), CREW_FUZZ_SEED: String(seed) },
      /"tally"/,
    );
    const { tally } = fuzz.first;
    assert.match(tally.plainUpgrade, /^HTTP\/1\.1 426 /);
    assert.match(tally.plainUpgrade, /This port speaks Crew over TLS: this worker takes plain TCP from loopback only/);
    await w.out.waitFor(
      /refused peer=10\.215\.0\.1:\d+ reason="it speaks plain TCP and this worker takes plain TCP from loopback only/,
    );
    await w.out.waitFor(/refused peer=10\.215\.0\.1:\d+ reason="its TLS handshake failed/);
    assert.equal(w.out.count(/peer=undefined/), 0, 'every refusal names the peer');
    // The worker is alive and serves a master.
    const master = await startMaster(M, secret);
    assert.deepEqual(await master.call('connect', `${WORKER_IP}:${w.port}`), { ok: true });
    assert.deepEqual(await master.call('evalAll', '6 * 7'), [42]);
    record({
      row: 'netns-tls-fuzz',
      lost: 0,
      duplicated: 0,
      note: `seed ${seed}: ${JSON.stringify({ fuzzed: tally.fuzzed, garbage: tally.garbage })}`,
    });
  },
);
