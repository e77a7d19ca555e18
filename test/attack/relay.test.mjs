// A local user without the secret takes a port that a master or worker redials, relays the
// victim's handshake to another of the same user's listeners, then speaks in the victim's
// place. Before every frame was authenticated, the relayed master session on a worker ran
// the attacker's debugger frames (`cdpOpen`, then `Runtime.evaluate` of anything) even under
// `--require-signed`, and a worker that redialed a squatted master port ran injected tasks
// while the real master took forged results. Here the relay runs as another uid (nobody)
// where root can make one, and each injected frame must close the link and run nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { addWorkers, connectWorkers, disconnectWorkers, evalOn, startMaster } from 'crew';
import { auditTrail, killHard, Lines, newSecret, startWorkerProcess } from '../reliability/helpers.mjs';
import { codec } from '../reliability/wire.mjs';

const secret = newSecret();
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const asRoot = process.getuid?.() === 0;
const relayScript = join(import.meta.dirname, 'fixtures', 'relay.mjs');

/** Starts the attacker's relay, as uid 65534 when this test runs as root. */
async function startRelay(config) {
  const args = [relayScript, JSON.stringify(config)];
  const child = asRoot
    ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args])
    : spawn(process.execPath, args);
  const lines = new Lines();
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d) => lines.push(`stderr: ${d}`));
  cleanups.push(() => killHard(child));
  const listening = JSON.parse((await lines.waitFor(/"event":"listening"/)).text);
  if (asRoot) assert.equal(listening.uid, 65534, 'the attacker is another user');
  return { port: listening.port, lines };
}

const b64 = (msg) => Buffer.from(codec.encodeFrame(msg)).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'crew-relay-'));

/** Frames that would each run code on a worker: a task, and the debugger's evaluate. */
function codeFrames(marker) {
  const code = `process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`;
  const form = { id: 900, mode: 'value', code, filename: 'inject.js', line: 1, column: 1, cache: false };
  return [
    b64({ t: 'cdpOpen', debuggerId: 7 }),
    b64({
      t: 'cdpMessage',
      debuggerId: 7,
      message: JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: code } }),
    }),
    b64({ t: 'tasks', forms: [form], tasks: [{ id: 900, form: 900 }] }),
  ];
}

for (const extra of [[], ['--require-signed']]) {
  const signed = extra.length ? ' (--require-signed)' : '';
  test(`a master's squatted worker port, relayed to another worker${signed}: injections run nothing`, async () => {
    const worker = await startWorkerProcess({ secret, name: 'other', mode: ['--port', '0'], extra });
    cleanups.push(() => killHard(worker.child));
    const marker = join(dir, `ran-${extra.length}`);
    const relay = await startRelay({
      targetPort: worker.port,
      mode: 'keep-target',
      inject: { toTarget: codeFrames(marker) },
    });
    // The master meant the squatted address; it is dropped once the worker has welcomed it.
    await assert.rejects(connectWorkers([`127.0.0.1:${relay.port}`], { secret, audit: { to: 'none' }, redial: false }));
    const closed = JSON.parse((await relay.lines.waitFor(/"side":"target"/)).text);
    assert.equal(closed.welcomed, true, 'the relayed handshake succeeded, as before');
    assert.equal(closed.code, 4001, `the worker closed the attacker's link: ${closed.reason}`);
    await worker.out.waitFor(/bad-frame .*a frame failed authentication/);
    assert.equal(existsSync(marker), false, 'no injected frame ran');
    // The worker serves its own master as before.
    const pool = await connectWorkers([`127.0.0.1:${worker.port}`], { secret, audit: { to: 'none' } });
    cleanups.push(() => disconnectWorkers(pool));
    assert.equal(await evalOn(pool, null, '6 * 7'), 42);
  });
}

test('a claim rewritten on the way (the master id that names its session) fails the relayed handshake', async () => {
  const worker = await startWorkerProcess({ secret, name: 'rewrite', mode: ['--port', '0'] });
  cleanups.push(() => killHard(worker.child));
  // Another master's id, well formed: the relay would have the worker resume that master's session.
  const { Identity } = await import('../reliability/wire.mjs');
  const relay = await startRelay({ targetPort: worker.port, mode: 'keep-target', rewrite: { id: new Identity().id } });
  await assert.rejects(
    connectWorkers([`127.0.0.1:${relay.port}`], { secret, audit: { to: 'none' }, redial: false }),
    /failed authentication/,
  );
  const refused = JSON.parse((await relay.lines.waitFor(/"t":"refused"/)).text);
  assert.equal(refused.code, 'CREW_AUTH_FAILED');
  assert.equal(relay.lines.count(/"t":"welcome"/), 0);
});

test('a master that holds a worker refuses a second address that answers as it, before answering', async () => {
  const worker = await startWorkerProcess({ secret, name: 'held', mode: ['--port', '0'] });
  cleanups.push(() => killHard(worker.child));
  const audit = auditTrail();
  const pool = await connectWorkers([`127.0.0.1:${worker.port}`], { secret, audit: audit.options });
  cleanups.push(() => disconnectWorkers(pool));
  const relay = await startRelay({ targetPort: worker.port, mode: 'keep-target' });
  await assert.rejects(addWorkers(pool, [`127.0.0.1:${relay.port}`]), /something relays 127\.0\.0\.1:\d+ to it/);
  // The master never sent an answer the relay could take elsewhere.
  await relay.lines.waitFor(/"side":"target"/);
  assert.equal(relay.lines.count(/"t":"welcome"/), 0);
  assert.equal(pool.size, 1);
  assert.equal(await evalOn(pool, null, '1 + 1'), 2);
});

test("a worker's squatted master port, relayed to another master: injected frames close both links", async () => {
  const audit = auditTrail();
  const other = await startMaster({ secret, audit: audit.options });
  cleanups.push(() => disconnectWorkers(other));
  const marker = join(dir, 'ran-worker');
  const relay = await startRelay({
    targetPort: other.listenAddress.port,
    mode: 'in-the-middle',
    inject: {
      toVictim: codeFrames(marker),
      toTarget: [b64({ t: 'results', results: [{ id: 1, ok: true, value: codec.encodeValue(-666), ms: 0 }] })],
    },
  });
  const worker = await startWorkerProcess({
    secret,
    name: 'redialer',
    mode: ['--connect', `127.0.0.1:${relay.port}`],
  });
  cleanups.push(() => killHard(worker.child));
  await audit.lines.waitFor(/bad-frame .*a frame failed authentication|a frame failed authentication/);
  await worker.out.waitFor(/bad-frame .*a frame failed authentication/);
  assert.equal(existsSync(marker), false, 'no injected task ran on the worker');
});
