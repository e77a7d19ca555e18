// `crew lsp --port`: editors attach over TCP (as SLIME's slime-connect), and each must prove
// it knows the shared secret before any LSP message is read.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { loadSource, until } from '../helpers.mjs';
import { cli, protocol, rejection, secretFile } from './lsp-client.mjs';
import { scaled } from '../time-scale.mjs';

let P;
let server;
let port;
let stderr = '';
const secret = secretFile();

/** Starts `crew lsp --port 0` with `workers` local workers; resolves with it and its port once it listens. */
async function startMaster(workers) {
  const master = spawn(
    process.execPath,
    [cli, 'lsp', '--port', '0', '--local', String(workers), '--secret-file', secret],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  master.stderr.on('data', (d) => (stderr += d));
  const at = await new Promise((resolve, reject) => {
    let out = '';
    master.stdout.on('data', (d) => {
      out += d;
      const m = /listening for editors on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    master.once('exit', (code) => reject(new Error(`crew lsp exited with ${code}: ${stderr}`)));
  });
  return { master, at };
}

before(async () => {
  P = await protocol();
  ({ master: server, at: port } = await startMaster(1));
});
after(() => {
  server?.kill('SIGTERM');
});

function socketTo(to = port) {
  return new Promise((resolve, reject) => {
    const s = connect(to, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Attaches as the extension does: authenticate, then LSP on the same socket. */
async function attach(secretBytes, to = port) {
  const socket = await socketTo(to);
  const keys = await P.dialLspAuth(socket, secretBytes, `127.0.0.1:${to}`);
  const stream = P.sealedStream(socket, keys);
  const connection = createMessageConnection(new StreamMessageReader(stream), new StreamMessageWriter(stream));
  connection.listen();
  await connection.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {} });
  await connection.sendNotification('initialized', {});
  return { socket, connection };
}

const goodSecret = () => Buffer.from(readFileSync(secret, 'utf8').trim());

test(
  'an editor with the secret attaches and evaluates on the running master',
  { timeout: scaled(60_000) },
  async () => {
    const a = await attach(goodSecret());
    const state = await a.connection.sendRequest(P.ListWorkers.type, null);
    assert.equal(state.started, true);
    assert.equal(state.workers.length, 1, 'the worker from --local 1');
    const r = await a.connection.sendRequest(P.EvalAllWorkers.type, { code: '6 * 7' });
    assert.deepEqual(
      r.outcomes.map((o) => [o.worker, o.value]),
      [['w1', '42']],
    );
    a.connection.dispose();
    a.socket.destroy();
  },
);

test('two editors share one master, and one leaving does not stop it', { timeout: scaled(60_000) }, async () => {
  const a = await attach(goodSecret());
  const b = await attach(goodSecret());
  await a.connection.sendRequest(P.EvalMaster.type, { code: 'globalThis.shared = "from a"' });
  const left = `master disconnect editor=127.0.0.1:${a.socket.localPort}`;
  a.connection.dispose();
  a.socket.destroy();
  await until(() => stderr.includes(left), { what: 'the master to see the first editor leave' });
  const r = await b.connection.sendRequest(P.EvalMaster.type, { code: 'shared' });
  assert.equal(r.outcomes[0].value, "'from a'");
  b.connection.dispose();
  b.socket.destroy();
});

test('an editor hears that the master it attached to has quit', { timeout: scaled(60_000) }, async () => {
  const { master, at } = await startMaster(0);
  try {
    const a = await attach(goodSecret(), at);
    // The language client learns of a lost server only from its connection's close.
    const closed = new Promise((resolve) => a.connection.onClose(resolve));
    master.kill('SIGTERM');
    await closed;
    a.socket.destroy();
  } finally {
    master.kill('SIGKILL');
  }
});

test('a wrong secret is refused before any LSP message is read', { timeout: scaled(60_000) }, async () => {
  const socket = await socketTo();
  const err = await rejection(
    P.dialLspAuth(socket, Buffer.from('not-the-secret-at-all-0123456789'), `127.0.0.1:${port}`),
  );
  assert.equal(err.code, 'CREW_AUTH_FAILED');
  assert.match(err.message, /refused the connection: .*wrong or missing secret/);
  await until(() => / refused editor=/.test(stderr), { what: 'the audit line for the refusal' });
  assert.match(stderr, /master refused editor=127\.0\.0\.1:\d+ reason=".*wrong or missing secret"/);
});

test(
  'an LSP client that skips authentication gets no LSP answer and is disconnected',
  { timeout: scaled(60_000) },
  async () => {
    const socket = await socketTo();
    let received = '';
    socket.on('data', (d) => (received += d));
    const closed = new Promise((r) => socket.once('close', r));
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { processId: null, rootUri: null, capabilities: {} },
    });
    socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await closed;
    assert.doesNotMatch(received, /"result"/);
    assert.match(received, /"t":"refused","code":"CREW_BAD_FRAME"/);
  },
);

test(
  'after the handshake, an LSP message that is not sealed with its keys runs nothing and ends the connection',
  { timeout: scaled(60_000) },
  async () => {
    // A relay that passed the editor's handshake through, then speaks in its place.
    const socket = await socketTo();
    await P.dialLspAuth(socket, goodSecret(), `127.0.0.1:${port}`);
    const marker = join(tmpdir(), `crew-lsp-injected-${process.pid}`);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: P.EvalMaster.method,
      params: { code: `process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')` },
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.resume();
    socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await closed;
    assert.equal(existsSync(marker), false, 'the injected evaluation never ran');
    // The same request from an editor that seals it runs: the injected one was refused for its seal alone.
    const a = await attach(goodSecret());
    await a.connection.sendRequest(P.EvalMaster.method, JSON.parse(body).params);
    assert.equal(existsSync(marker), true);
    rmSync(marker);
    a.connection.dispose();
    a.socket.destroy();
  },
);

test('the dialing side rejects something that is not a Crew master', { timeout: scaled(60_000) }, async () => {
  const { createServer } = await import('node:net');
  const fake = createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  await new Promise((r) => fake.listen(0, '127.0.0.1', r));
  const socket = await new Promise((resolve) => {
    const s = connect(fake.address().port, '127.0.0.1', () => resolve(s));
  });
  const err = await rejection(P.dialLspAuth(socket, goodSecret(), 'fake'));
  assert.equal(err.code, 'CREW_BAD_FRAME');
  assert.match(err.message, /fake is not a Crew master/);
  fake.close();
});

test('listening beyond loopback without an explicit secret is refused', { timeout: scaled(60_000) }, () => {
  const env = { ...process.env };
  delete env.CREW_SECRET;
  const r = spawnSync(process.execPath, [cli, 'lsp', '--port', '0', '--host', '0.0.0.0'], {
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });
  assert.equal(r.status, 3, `status ${r.status} signal ${r.signal} error ${r.error} stderr ${r.stderr}`);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without a secret: .* \[CREW_INSECURE_LISTEN\]/);
});

test(
  'crew lsp --tls: an editor on loopback that dials TLS attaches; one that dials plain is told why',
  { timeout: scaled(60_000) },
  async () => {
    const { dialStream } = await loadSource('protocol/link/tls-stream.ts');
    const master = spawn(process.execPath, [cli, 'lsp', '--port', '0', '--tls', '--secret-file', secret], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    master.stderr.on('data', (d) => (err += d));
    try {
      const at = await new Promise((resolve) => {
        let out = '';
        master.stdout.on('data', (d) => {
          out += d;
          const m = /listening for editors on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
      });
      const plain = await socketTo(at);
      const refused = await rejection(P.dialLspAuth(plain, goodSecret(), `127.0.0.1:${at}`));
      assert.match(refused.message, /refused the connection: this master takes TLS only from every editor \(--tls\)/);
      await until(() => /refused editor=127\.0\.0\.1:\d+ reason=".*speaks plain TCP and this end TLS/.test(err), {
        what: 'the master to say why',
      });
      const secure = await dialStream(await socketTo(at), '127.0.0.1', 'on', `127.0.0.1:${at}`, 5000);
      const keys = await P.dialLspAuth(secure, goodSecret(), `127.0.0.1:${at}`);
      assert.equal(keys.send.length, 32);
      await until(() => /connect editor=127\.0\.0\.1:\d+ tls=true/.test(err), { what: 'the TLS editor in the audit' });
      secure.destroy();
    } finally {
      master.kill('SIGKILL');
    }
  },
);
