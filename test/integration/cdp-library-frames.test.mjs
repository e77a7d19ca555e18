// Crew's own frames are library code to VS Code's debugger: the extension lists the eval
// thread's script in js-debug's skipFiles, which js-debug turns into V8 blackbox patterns. V8
// must still hold each form before it runs (the form is another script, which the
// blackboxed evaluator calls), or a breakpoint in the form would not be bound in time. Played
// here by a raw CDP client through the master, with the Crew Debugger off: while it is on, its
// own inspector session does not blackbox anything, and V8 blackboxes only what every
// session does.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cdpAddress, evalOn } from 'crew';
import { sharedPool, tempDir } from '../helpers.mjs';
import { cdpClient, generatedLine, inlineMap } from './cdp-client.mjs';

const shared = sharedPool(1);
const dir = tempDir();

test("with Crew's eval thread blackboxed, a form still pauses before it runs and its breakpoint fires", async () => {
  const c = await cdpClient(await cdpAddress(shared.pool, 'w1'));
  try {
    await c.send('Runtime.enable');
    await c.send('Debugger.enable');
    await c.send('Debugger.setInstrumentationBreakpoint', { instrumentation: 'beforeScriptWithSourceMapExecution' });
    const evalThread = await c.event('Debugger.scriptParsed', (p) => /\/eval-thread\.js$/.test(p.url));
    // What js-debug sends for skipFiles ['**/eval-thread.js']: the script's URL, anchored.
    await c.send('Debugger.setBlackboxPatterns', {
      patterns: [`^${evalThread.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`],
    });
    const from = c.events.length;
    const run = evalOn(shared.pool, 'w1', {
      code: 'function twice(n: number): number {\n  const doubled = n * 2;\n  return doubled;\n}\ntwice(21)\n',
      filename: join(dir, 'twice.ts'),
      line: 1,
    });
    const before = await c.paused(from, (p) => p.reason === 'instrumentation');
    const { scriptId, url, sourceMapURL } = before.data;
    const { scriptSource } = await c.send('Debugger.getScriptSource', { scriptId });
    const lineNumber = generatedLine(inlineMap(sourceMapURL), scriptSource, 3);
    await c.send('Debugger.setBreakpointByUrl', { url, lineNumber });
    const resumedAt = c.events.length;
    await c.send('Debugger.resume');
    const hit = await c.paused(resumedAt, (p) => p.hitBreakpoints?.length > 0);
    assert.equal(hit.callFrames[0].functionName, 'twice');
    const crewFrames = hit.callFrames.filter((f) => f.location.scriptId === evalThread.scriptId);
    assert.ok(crewFrames.length > 0, "Crew's frames are below the user's, for the debugger to show as library code");
    await c.send('Debugger.resume');
    assert.equal(await run, 42);
  } finally {
    await c.close();
  }
});
