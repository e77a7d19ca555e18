// Profiling over LSP, as the extension asks for it: a cluster view lane's Profile button (and
// the Workers view) runs Crew: Profile Workers for one worker, which sends crew/profileWorkers
// with that worker alone; only it is profiled, its user function at its own file and line, and
// the merged profile holds it alone. A worker that is not there is named in the error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadSource } from '../helpers.mjs';
import { startServer } from './lsp-client.mjs';

let s;
let P;
let L;

before(async () => {
  L = await loadSource('protocol/messages/lsp-profile-messages.ts');
  s = await startServer();
  P = s.P;
  await s.request(P.ConnectWorkers.type, { local: 2 });
  // Both workers spin in a TypeScript function until the profile has been taken.
  await s.request(P.EvalAllWorkers.type, {
    code:
      'function crewHot(n: number): number {\n  let s = 0;\n' +
      '  for (let i = 0; i < n; i++) s = (s + i * i) % 1000003;\n  return s;\n}\n' +
      'const crewUntil = Date.now() + 60_000;\n' +
      'function crewSpin(): void {\n  const stop = Date.now() + 50;\n  while (Date.now() < stop) crewHot(100_000);\n' +
      '  if (Date.now() < crewUntil && !(globalThis as any).crewStop) setTimeout(crewSpin, 0);\n}\ncrewSpin();',
    filename: '/work/hot.ts',
    line: 1,
  });
});
after(async () => {
  await s?.request(P.EvalAllWorkers.type, { code: 'globalThis.crewStop = true' }).catch(() => {});
  await s?.stop();
});

test('profiling one worker profiles it alone, with its user function at its file and line', async () => {
  const r = await s.request(L.ProfileWorkers.type, { ms: 1000, workers: ['w2'] });
  assert.deepEqual(Object.keys(r.profiles), ['w2']);
  const frames = r.profiles.w2.nodes.map((n) => n.callFrame);
  const hot = frames.find((f) => f.functionName === 'crewHot');
  assert.ok(hot, `crewHot among ${[...new Set(frames.map((f) => f.functionName))].join(', ')}`);
  assert.match(hot.url, /hot\.ts$/);
  assert.equal(hot.lineNumber, 0, 'crewHot is on the first line of hot.ts (0-based)');
  const tops = r.merged.nodes[0].children.map((id) => r.merged.nodes.find((n) => n.id === id).callFrame.functionName);
  assert.deepEqual(tops, ['(worker w2)']);
});

test('a worker that is not there is named in the error', async () => {
  await assert.rejects(s.request(L.ProfileWorkers.type, { ms: 100, workers: ['w9'] }), /w9/);
});
