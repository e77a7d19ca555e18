// An editor on another host (network namespaces, as in netns-tls.test.mjs): `crew lsp --port`
// over TLS with nothing to set up, the capture holding no form and no result, `--no-tls`
// showing both, and a TLS-terminating relay getting nothing; then VS Code's debugger reaching
// the master's CDP endpoint over TLS, pinned by the editor, through the extension's relay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSecret, record } from './helpers.mjs';
import {
  capture,
  editorEvaluates,
  findings,
  lspSecretFile,
  M,
  markedForm,
  MASTER_IP,
  skip,
  startFixture,
  startLspMaster,
  startMaster,
  W,
  WORKER_IP,
} from './netns-hosts.mjs';
import { scaled } from '../time-scale.mjs';

test(
  'an editor on another host attaches to crew lsp --port over TLS; the capture shows no form, no result',
  { skip, timeout: scaled(120_000) },
  async () => {
    const secretFile = lspSecretFile();
    const lsp = await startLspMaster(secretFile);
    const prober = await startMaster(M, newSecret());
    const stop = await capture(prober, 'lsp');
    const { code, marker, result } = markedForm();
    const answer = await editorEvaluates(`${MASTER_IP}:${lsp.port}`, secretFile, code);
    assert.equal(answer.value, `'${result}'`, JSON.stringify(answer));
    const streams = await stop();
    const bytes = [...streams.values()].reduce((n, b) => n + b.length, 0);
    assert.ok(bytes > 500, `the session was captured (${bytes} bytes)`);
    assert.deepEqual(findings(streams, marker), [], 'the form text is not on the wire');
    assert.deepEqual(findings(streams, result), [], 'the result is not on the wire');
    await lsp.out.waitFor(/connect editor=10\.215\.0\.2:\d+ tls=true/);
    record({ row: 'netns-tls-lsp', lost: 0, duplicated: 0, note: `${bytes} bytes captured, no form, no result` });
  },
);

test(
  'crew lsp --no-tls: the same capture shows the form and the result, and the master warns',
  { skip, timeout: scaled(120_000) },
  async () => {
    const secretFile = lspSecretFile();
    const lsp = await startLspMaster(secretFile, ['--no-tls']);
    await lsp.out.waitFor(/warning .*--no-tls/);
    const prober = await startMaster(M, newSecret());
    const stop = await capture(prober, 'lsp-plain');
    const { code, marker, result } = markedForm();
    // The editor dials TLS by default: a master without TLS is named as the cause.
    const refused = await editorEvaluates(`${MASTER_IP}:${lsp.port}`, secretFile, code);
    assert.match(refused.error ?? '', /speaks plain TCP and this end TLS|speaks TLS and this end plain TCP/);
    await stop();
    // Plain on both ends: the editor through a loopback forward would see the same; here the
    // capture is what matters, so the editor is told to dial plain.
    const plainStop = await capture(prober, 'lsp-plain-2');
    const plain = await startFixture(
      W,
      'tls-editor.mjs',
      {
        CREW_EDITOR_TARGET: `${MASTER_IP}:${lsp.port}`,
        CREW_SECRET_FILE: secretFile,
        CREW_EDITOR_CODE: code,
        CREW_EDITOR_TLS: 'off',
      },
      /"value"|"error"/,
    );
    assert.equal(plain.first.value, `'${result}'`, JSON.stringify(plain.first));
    const streams = await plainStop();
    assert.ok(findings(streams, marker).length > 0, 'the form is readable');
    assert.ok(findings(streams, result).length > 0, 'the result is readable');
  },
);

test(
  'a man in the middle between an editor and crew lsp gets no working connection, and both ends say why',
  { skip, timeout: scaled(120_000) },
  async () => {
    const secretFile = lspSecretFile();
    const lsp = await startLspMaster(secretFile);
    const mitm = await startFixture(
      W,
      'tls-mitm.mjs',
      { CREW_MITM_LISTEN: `${WORKER_IP}:0`, CREW_MITM_TARGET: `${MASTER_IP}:${lsp.port}` },
      /"listening"/,
    );
    const answer = await editorEvaluates(`${WORKER_IP}:${mitm.first.listening}`, secretFile, '1 + 1');
    assert.equal(answer.code, 'CREW_CHANNEL_MISMATCH', JSON.stringify(answer));
    assert.match(answer.error, /proved it knows the secret but saw another channel .*man in the middle/);
    await lsp.out.waitFor(
      /refused editor=10\.215\.0\.2:\d+ reason=".*knows the secret but its handshake was made over another channel/,
    );
  },
);

/** VS Code's debugger on the other host, through the extension's pinned relay (fixtures/tls-debugger.mjs). */
async function debuggerEvaluates(target, secretFile, code, env = {}) {
  const run = await startFixture(
    W,
    'tls-debugger.mjs',
    { CREW_EDITOR_TARGET: target, CREW_SECRET_FILE: secretFile, CREW_EDITOR_CODE: code, ...env },
    /"value"|"error"/,
  );
  return run.first;
}

test(
  "VS Code's debugger on another host reaches a worker through the CDP endpoint over TLS; the capture shows nothing",
  { skip, timeout: scaled(120_000) },
  async () => {
    const secretFile = lspSecretFile();
    const lsp = await startLspMaster(secretFile, ['--local', '1']);
    await lsp.out.waitFor(/state worker=w1 state=ready|connect worker=w1/, 60_000);
    const prober = await startMaster(M, newSecret());
    const stop = await capture(prober, 'cdp');
    const { marker, result } = markedForm();
    const code = `${JSON.stringify(marker)}.split('').reverse().join('') + '-done'`;
    const answer = await debuggerEvaluates(`${MASTER_IP}:${lsp.port}`, secretFile, code);
    assert.equal(answer.value, result, JSON.stringify(answer));
    assert.match(answer.given, /^wss:\/\/0\.0\.0\.0:\d+\/crew\/w1\/[0-9a-f]+#sha256=[0-9A-F]{64}$/);
    const streams = await stop();
    assert.deepEqual(findings(streams, marker), [], 'the expression is not on the wire');
    assert.deepEqual(findings(streams, result), [], 'its value is not on the wire');
    await lsp.out.waitFor(/listen cdp=0\.0\.0\.0:\d+ tls=true/);
    record({
      row: 'netns-tls-cdp',
      lost: 0,
      duplicated: 0,
      note: 'CDP over TLS, pinned by the editor: no expression, no value',
    });
  },
);

test(
  'a man in the middle of the CDP endpoint is refused by the pin before it sees the token',
  { skip, timeout: scaled(120_000) },
  async () => {
    const secretFile = lspSecretFile();
    const lsp = await startLspMaster(secretFile, ['--local', '1']);
    await lsp.out.waitFor(/state worker=w1 state=ready|connect worker=w1/, 60_000);
    // The endpoint's port, from an address the master hands out (the debugger attaches once).
    const cdpPort = await (async () => {
      const first = await debuggerEvaluates(`${MASTER_IP}:${lsp.port}`, secretFile, '1');
      return Number(/:(\d+)\//.exec(first.given)[1]);
    })();
    const mitm = await startFixture(
      W,
      'tls-mitm.mjs',
      { CREW_MITM_LISTEN: `${WORKER_IP}:0`, CREW_MITM_TARGET: `${MASTER_IP}:${cdpPort}` },
      /"listening"/,
    );
    const answer = await debuggerEvaluates(`${MASTER_IP}:${lsp.port}`, secretFile, '1 + 1', {
      CREW_CDP_VIA: `${WORKER_IP}:${mitm.first.listening}`,
    });
    assert.equal(answer.value, undefined, JSON.stringify(answer));
    assert.match(answer.error, /showed another certificate than the master named over its authenticated link/);
    // The editor ends the connection at the pin, before its request: the relay gets no byte of it.
    const passed = mitm.lines.lines.map((l) => JSON.parse(l.text).relayed).filter((r) => r && r.up > 0);
    assert.deepEqual(passed, [], 'no request, so no token, reached the relay');
  },
);
