// VS Code's debugger on workers over LSP, as Crew: Debug Workers does it: one crew/debugAttach
// address per worker, a worker that joins later attached too (its replayed file's breakpoint
// binds through the script the debugger finds), and an editor that exits while a worker is
// held at a breakpoint leaves that worker to run on and no Crew process behind.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { loadSource, tempDir, until } from '../helpers.mjs';
import { cdpClient, generatedLine, inlineMap } from '../integration/cdp-client.mjs';
import { startServer } from './lsp-client.mjs';
import { scaled } from '../time-scale.mjs';

let s;
let P;
let D;
const file = join(tempDir(), 'steps.ts');

before(async () => {
  D = await loadSource('protocol/messages/lsp-debug-messages.ts');
  s = await startServer();
  P = s.P;
  await s.request(P.ConnectWorkers.type, { local: 1 });
  await s.request(P.EvalAllWorkers.type, {
    code: 'function step(n: number): number {\n  const next = n + 1;\n  return next;\n}',
    filename: file,
    line: 1,
    replay: true,
  });
});
after(async () => {
  await s?.stop();
});

/** Attaches to `worker` and binds a breakpoint at line `line` of the file in the script already there. */
async function attachWithBreakpoint(worker, line) {
  const { websocketAddress } = await s.request(D.DebugAttach.type, { worker });
  assert.match(websocketAddress, /^ws:\/\/127\.0\.0\.1:\d+\/crew\/w\d+\/[0-9a-f]{48}$/);
  const c = await cdpClient(websocketAddress);
  await c.send('Debugger.enable');
  const parsed = await c.event('Debugger.scriptParsed', (p) =>
    decodeURIComponent(p.url).startsWith(pathToFileURL(file).href),
  );
  const { scriptSource } = await c.send('Debugger.getScriptSource', { scriptId: parsed.scriptId });
  const lineNumber = generatedLine(inlineMap(parsed.sourceMapURL), scriptSource, line);
  await c.send('Debugger.setBreakpointByUrl', { url: parsed.url, lineNumber });
  return c;
}

test(
  'a worker that joins later is attached too, and its replayed file binds the breakpoint',
  { timeout: scaled(90_000) },
  async () => {
    const joined = await s.request(P.ConnectWorkers.type, { local: 1 });
    assert.equal(joined.workers.length, 2);
    const c = await attachWithBreakpoint('w2', 3);
    try {
      const from = c.events.length;
      const call = s.request(P.EvalOn.type, { code: 'step(9)', worker: 'w2' });
      const hit = await c.paused(from, (p) => p.hitBreakpoints?.length > 0);
      const next = await c.send('Debugger.evaluateOnCallFrame', {
        callFrameId: hit.callFrames[0].callFrameId,
        expression: 'next',
      });
      assert.equal(next.result.value, 10);
      // w1 is not held by w2's debugger.
      assert.equal((await s.request(P.EvalOn.type, { code: 'step(1)', worker: 'w1' })).outcomes[0].value, '2');
      await c.send('Debugger.resume');
      assert.equal((await call).outcomes[0].value, '10');
    } finally {
      await c.close();
    }
  },
);

test(
  'an editor that exits while a worker is held at a breakpoint leaves no Crew process',
  { timeout: scaled(90_000) },
  async () => {
    const { workers } = await s.request(P.ListWorkers.type, {});
    const pids = workers.map((w) => w.pid);
    assert.ok(pids.length === 2 && pids.every((pid) => existsSync(`/proc/${pid}`)), `both workers run: ${pids}`);
    const c = await attachWithBreakpoint('w1', 2);
    const from = c.events.length;
    void s.request(P.EvalOn.type, { code: 'step(1)', worker: 'w1' }).catch(() => {});
    await c.paused(from, (p) => p.hitBreakpoints?.length > 0);
    // The editor goes: LSP's shutdown and exit, with the worker still paused for its debugger.
    const exit = await s.stop();
    assert.equal(exit?.code, 0, 'crew lsp exited by itself');
    await c.ended;
    await until(() => pids.every((pid) => !existsSync(`/proc/${pid}`)), {
      timeoutMs: 30_000,
      what: `the workers (${pids.join(', ')}) to end`,
    });
  },
);
