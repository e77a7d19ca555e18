// Messages a user reads when something is wrong say what is wrong: a refused dial is not a
// broken handshake, a worker of another job is not a stranger to the protocol, one master's
// job ending is not the worker's shutdown, and each names the option to give.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectWorkers, ErrorCodes, evalOn, startMaster } from 'crew';
import { runCrew, SECRET, startCrew, tempDir, until } from '../helpers.mjs';

/** A loopback port nothing listens on (taken, then given back). */
async function closedPort() {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('a dial nothing answers says the connection was refused, not that a handshake was cut short', async () => {
  const port = await closedPort();
  await assert.rejects(
    connectWorkers([`127.0.0.1:${port}`], { secret: SECRET, audit: { to: 'none' } }),
    (err) =>
      err.code === ErrorCodes.ConnectFailed &&
      /connection refused/.test(err.message) &&
      !/during the handshake/.test(err.message),
  );
  const w = await startCrew(['worker', '--connect', `127.0.0.1:${port}`]);
  try {
    await until(() => /refused master=/.test(w.stderr), { what: "the worker's first failed dial" });
    assert.match(w.stderr, /reason="cannot connect to 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    assert.doesNotMatch(w.stderr, /during the handshake/);
  } finally {
    w.child.kill('SIGTERM');
    await w.exited;
  }
});

test("a worker of another job is audited as refusing this master, not as not speaking Crew's protocol", async () => {
  const lines = [];
  const pool = await startMaster({ secret: SECRET, audit: { to: (l) => lines.push(l) } });
  try {
    const { host, port } = pool.listenAddress;
    const r = await runCrew(['worker', '--connect', `${host}:${port}`, '--member', 'another-job']);
    assert.equal(r.code, 3, r.stderr);
    await until(() => lines.some((l) => / refused /.test(l)), { what: "the master's refusal line" });
    const refusal = lines.find((l) => / refused /.test(l));
    assert.match(refusal, /refused this master: .*member id \w+ does not match this job's another-job/);
    assert.doesNotMatch(lines.join('\n'), /does not speak Crew's protocol/);
  } finally {
    await pool.close();
  }
});

test("a master ending its job is one session ending on the worker, not the worker's shutdown", async () => {
  const w = await startCrew(['worker', '--port', '0'], { readyPattern: /listening on 127\.0\.0\.1:(\d+)/ });
  try {
    const pool = await connectWorkers([`127.0.0.1:${w.match[1]}`], { secret: SECRET, audit: { to: 'none' } });
    await pool.close('script finished');
    await until(() => /ending="the master ended its job: script finished"/.test(w.stderr), {
      what: 'the session line on the worker',
    });
    assert.doesNotMatch(w.stderr, /worker shutdown/);
  } finally {
    w.child.kill('SIGTERM');
    await w.exited;
  }
});

test('crew master --host 0.0.0.0 without a secret names --secret-file, and exits 3', async () => {
  const r = await runCrew(['master', '--host', '0.0.0.0', '--local', '0', '--audit-file', 'none'], {
    env: { CREW_SECRET: '' },
    input: '',
  });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /without a secret: give one with --secret-file .*\[CREW_INSECURE_LISTEN\]/);
});

test('a call given a worker id where the pool goes says so, instead of failing inside', async () => {
  await assert.rejects(
    evalOn('w1', '1+1'),
    (err) =>
      err.code === ErrorCodes.BadArgument &&
      /the first argument is the pool \(or null to evaluate on the master\), not the string "w1"/.test(err.message),
  );
});

test('crew launch: the loopback warning for --connect says what to give, and ssh exit 255 is named', async () => {
  const dir = tempDir();
  const failingSsh = join(dir, 'ssh-that-fails');
  writeFileSync(failingSsh, '#!/bin/sh\necho "ssh: Could not resolve hostname far-host" >&2\nexit 255\n');
  chmodSync(failingSsh, 0o755);
  const r = await runCrew(['launch', '--ssh', 'far-host', '--connect', '127.0.0.1:4006', '--ssh-command', failingSsh]);
  assert.match(
    r.stderr,
    /the workers would dial 127\.0\.0\.1, a loopback address.*give --connect the master's address/,
  );
  assert.doesNotMatch(r.stderr, /or give --connect/);
  assert.match(r.stderr, /starting 1 worker on 1 host over ssh/);
  assert.doesNotMatch(r.stderr, /started 1 worker/);
  assert.match(r.stderr, /far-host-1: ssh could not run the worker there \(exit 255/);
  assert.equal(r.code, 1);
});
