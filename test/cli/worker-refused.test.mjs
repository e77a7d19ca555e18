// A worker that dials a master which refuses it for good (the secrets differ, another job)
// says why and exits 3, instead of redialing forever; with --persist it keeps trying slowly.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startMaster } from 'crew';
import { SECRET, startCrew, tempDir, until } from '../helpers.mjs';

function wrongSecretFile() {
  const file = join(tempDir(), 'wrong-secret');
  writeFileSync(file, 'not-the-masters-secret-0123456789\n', { mode: 0o600 });
  return file;
}

async function listeningMaster(t) {
  const lines = [];
  const pool = await startMaster({ secret: SECRET, audit: { to: (l) => lines.push(l) } });
  t.after(() => pool.close());
  const { host, port } = pool.listenAddress;
  return { address: `${host}:${port}`, refusals: () => lines.filter((l) => / refused /.test(l)).length };
}

test('a dialing worker with the wrong secret says the secrets differ and exits 3', async (t) => {
  const master = await listeningMaster(t);
  const w = await startCrew(['worker', '--connect', master.address, '--secret-file', wrongSecretFile()]);
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
  const r = await w.exited;
  clearTimeout(timer);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /crew worker: .*wrong or missing secret.*master's secret.*\[CREW_AUTH_FAILED\]/);
  assert.equal(master.refusals(), 1, 'it tried once, not again and again');
});

test('a dialing worker of another job (member id) exits 3, naming both ids', async (t) => {
  const master = await listeningMaster(t);
  const w = await startCrew(['worker', '--connect', master.address, '--member', 'another-job']);
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
  const r = await w.exited;
  clearTimeout(timer);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /member id \w+ does not match this job's another-job/);
});

test('with --persist a refused worker does not exit: it stays, and its trail says why', async (t) => {
  const master = await listeningMaster(t);
  const w = await startCrew(['worker', '--connect', master.address, '--secret-file', wrongSecretFile(), '--persist']);
  await until(() => /refused master=.*wrong or missing secret/.test(w.stderr), { what: 'the refusal in its trail' });
  w.child.kill('SIGTERM');
  const r = await w.exited;
  assert.equal(r.code, 0, `it was still running when told to stop: ${r.stderr}`);
  assert.equal(master.refusals(), 1, 'no quick retry');
});
