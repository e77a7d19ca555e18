// TLS (wss) with a self-signed certificate, on both listening sides: a master that workers
// dial, and a worker that a master dials.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connectWorkers, disconnectWorkers, form, parallelMap, startMaster } from 'crew';
import { auditTrail, cli, killHard, newSecret, record, startWorkerProcess, tcpProxy } from './helpers.mjs';

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
const secret = newSecret();
const dir = mkdtempSync(join(tmpdir(), 'crew-tls-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
let cert;
let key;
const cleanups = [];

before(() => {
  if (!haveOpenssl) return;
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(certFile);
  key = readFileSync(keyFile);
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const skip = haveOpenssl
  ? false
  : 'openssl is not installed (run scripts/reliability-deps.sh) so no certificate can be made';

test('a master listening with TLS: local workers dial wss and the map works', { skip }, async () => {
  const audit = auditTrail();
  const pool = await startMaster({ local: 2, secret, listenTls: { cert, key }, audit: audit.options });
  cleanups.push(() => disconnectWorkers(pool));
  assert.ok(audit.lines.count(/listen .* tls=only cert=given/) === 1);
  assert.deepEqual(
    await parallelMap(
      pool,
      form((x) => x * x),
      [1, 2, 3, 4],
    ),
    [1, 4, 9, 16],
  );
  const proxy = await tcpProxy(pool.listenAddress.port);
  cleanups.push(() => proxy.close());
  const w = await startWorkerProcess({
    secret,
    name: 'through-proxy',
    mode: ['--connect', `127.0.0.1:${proxy.port}`],
    extra: ['--tls-ca', certFile],
  });
  cleanups.push(() => killHard(w.child));
  await pool.waitForWorkers(3);
  assert.deepEqual(
    await parallelMap(
      pool,
      form((x) => `${x}!`),
      ['a', 'b', 'c', 'd', 'e', 'f'],
    ),
    ['a!', 'b!', 'c!', 'd!', 'e!', 'f!'],
  );
  const raw = Buffer.concat(proxy.streams.flatMap((s) => [...s.up, ...s.down]));
  assert.ok(raw.length > 500);
  for (const clear of ['"t":"hello"', '"t":"auth"', 'Upgrade: websocket', 'through-proxy'])
    assert.equal(raw.indexOf(clear), -1, `${clear} is visible on a TLS link`);
  record({
    row: 'tls-master',
    lost: 0,
    duplicated: 0,
    note: `wss with a self-signed certificate; ${raw.length} bytes on the wire, no cleartext`,
  });
});

test('a worker listening with TLS: a master dials it with the CA, and refuses it without', { skip }, async () => {
  const w = await startWorkerProcess({
    secret,
    name: 'tls-worker',
    mode: ['--port', '0'],
    extra: ['--tls-cert', certFile, '--tls-key', keyFile],
  });
  cleanups.push(() => killHard(w.child));
  const pool = await connectWorkers([`127.0.0.1:${w.port}`], { secret, tls: { ca: cert }, audit: { to: 'none' } });
  cleanups.push(() => disconnectWorkers(pool));
  assert.deepEqual(
    await parallelMap(
      pool,
      form((x) => x + 1),
      [1, 2],
    ),
    [2, 3],
  );
  await assert.rejects(
    connectWorkers([`127.0.0.1:${w.port}`], { secret, tls: {}, audit: { to: 'none' }, redial: false }),
    (err) => {
      assert.equal(err.code, 'CREW_CONNECT_FAILED');
      assert.match(err.message, /self[- ]signed certificate/);
      return true;
    },
  );
  await assert.rejects(
    connectWorkers([`127.0.0.1:${w.port}`], { secret, audit: { to: 'none' }, redial: false }),
    /speaks TLS and this end plain TCP/,
  );
  await w.out.waitFor(
    /refused peer=127\.0\.0\.1:\d+ reason="it speaks plain TCP and this worker takes TLS connections only/,
  );
  await assert.rejects(
    connectWorkers([`127.0.0.1:${w.port}`], {
      secret: newSecret(),
      tls: { ca: cert },
      audit: { to: 'none' },
      redial: false,
    }),
    /wrong or missing secret/,
  );
  record({
    row: 'tls-worker',
    lost: 0,
    duplicated: 0,
    note: 'with the CA: works; without it: self-signed certificate refused; plain TCP: refused, both ends say why',
  });
});

test('bad TLS options are usage errors', { skip }, () => {
  const r = spawnSync(process.execPath, [cli, 'worker', '--port', '0', '--tls-cert', certFile], {
    env: { ...process.env, CREW_SECRET: secret },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--tls-cert and --tls-key go together/);
  const r2 = spawnSync(
    process.execPath,
    [cli, 'worker', '--connect', '127.0.0.1:1', '--tls-ca', join(dir, 'missing.pem')],
    { env: { ...process.env, CREW_SECRET: secret }, encoding: 'utf8' },
  );
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /cannot read the TLS CA certificate .*missing\.pem/);
});
