// VS Code's debugger in a project's module: a form from main.ts imports lib.ts, which the
// master ships to the worker. Played by a raw CDP client as js-debug does it: the shipped
// module pauses before it runs (the instrumentation breakpoint) with a source map naming
// lib.ts, a breakpoint bound there through that map fires at the user's line in lib.ts, and
// its locals read as written.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { cdpAddress, evalOn } from 'crew';
import { sharedPool, tempDir, until } from '../helpers.mjs';
import { cdpClient, generatedLine, inlineMap } from './cdp-client.mjs';

const shared = sharedPool(1);
const dir = tempDir();
mkdirSync(join(dir, 'src'));
const LIB = join(dir, 'src', 'lib.ts');
writeFileSync(
  LIB,
  'export function area(w: number, h: number): number {\n  const product: number = w * h;\n  return product;\n}\n',
);
const MAIN = join(dir, 'src', 'main.ts');

/**
 * Lets the thread go on from each pause before a script until the one whose map is `fileUrl`'s,
 * sets a breakpoint at that file's `line` there, resumes, and gives the pause at the breakpoint.
 */
async function breakInModule(c, fileUrl, line) {
  let from = 0;
  let pause;
  for (;;) {
    pause = await c.paused(from, (p) => p.reason === 'instrumentation');
    from = pause.at + 1;
    if (inlineMap(pause.data.sourceMapURL).sources.includes(fileUrl)) break;
    await c.send('Debugger.resume');
  }
  const { scriptId, url, sourceMapURL } = pause.data;
  const { scriptSource } = await c.send('Debugger.getScriptSource', { scriptId });
  const lineNumber = generatedLine(inlineMap(sourceMapURL), scriptSource, line);
  assert.notEqual(lineNumber, undefined, `line ${line} of ${fileUrl} is in its map`);
  await c.send('Debugger.setBreakpointByUrl', { url, lineNumber });
  const next = c.events.length;
  await c.send('Debugger.resume');
  return c.paused(next, (p) => p.hitBreakpoints?.length > 0);
}

test('a breakpoint in a shipped module fires at its own line, with its locals', async () => {
  const c = await cdpClient(await cdpAddress(shared.pool, 'w1'));
  try {
    await c.send('Runtime.enable');
    await c.send('Debugger.enable');
    await c.send('Debugger.setInstrumentationBreakpoint', { instrumentation: 'beforeScriptWithSourceMapExecution' });
    const run = evalOn(shared.pool, 'w1', {
      code: "import { area } from './lib';\narea(6, 7)",
      filename: MAIN,
      line: 1,
    });
    // The form pauses first, then the module it imports: each has a map to its own file.
    const hit = await breakInModule(c, pathToFileURL(LIB).href, 3);
    assert.equal(hit.callFrames[0].functionName, 'area');
    const product = await c.send('Debugger.evaluateOnCallFrame', {
      callFrameId: hit.callFrames[0].callFrameId,
      expression: 'product',
    });
    assert.equal(product.result.value, 42);
    await c.send('Debugger.resume');
    assert.equal(await run, 42);
  } finally {
    await c.close();
  }
});

test('a breakpoint in a module loaded before the debugger attached fires when it is called again', async () => {
  const file = join(dir, 'src', 'early.ts');
  writeFileSync(file, 'export function early(n: number): number {\n  const m: number = n + 1;\n  return m;\n}\n');
  const form = { code: "import { early } from './early';\nearly(1)", filename: MAIN, line: 1 };
  assert.equal(await evalOn(shared.pool, 'w1', form), 2);
  const c = await cdpClient(await cdpAddress(shared.pool, 'w1'));
  try {
    await c.send('Debugger.enable');
    // Debugger.enable reports the scripts already parsed: the module's, with its map.
    const url = pathToFileURL(file).href;
    const parsed = await c.event('Debugger.scriptParsed', (p) =>
      p.sourceMapURL?.startsWith('data:') ? inlineMap(p.sourceMapURL).sources.includes(url) : false,
    );
    const { scriptSource } = await c.send('Debugger.getScriptSource', { scriptId: parsed.scriptId });
    const lineNumber = generatedLine(inlineMap(parsed.sourceMapURL), scriptSource, 3);
    await c.send('Debugger.setBreakpointByUrl', { url: parsed.url, lineNumber });
    const from = c.events.length;
    const run = evalOn(shared.pool, 'w1', { ...form, code: "import { early } from './early';\nearly(41)" });
    const hit = await c.paused(from, (p) => p.hitBreakpoints?.length > 0);
    assert.equal(hit.callFrames[0].functionName, 'early');
    await c.send('Debugger.resume');
    assert.equal(await run, 42);
  } finally {
    await c.close();
  }
});

/**
 * Attaches as VS Code's debugger does, and stops where it goes off to set itself up (a round
 * trip through the window, seconds on a busy machine): targets asked to wait for it, its
 * Debugger domain on, no breakpoints nor pause before scripts yet.
 */
async function attachUnsetUp(address) {
  const c = await cdpClient(address);
  // The eval thread has no workers of its own: V8 refuses the domain, and the debugger goes on.
  await c.send('NodeWorker.enable', { waitForDebuggerOnStart: true }).catch(() => {});
  await c.send('Runtime.enable');
  await c.send('Debugger.enable');
  return c;
}

/** Resolves with `{ ran }` if `run` settles first, else once `watcher` has seen the thread pause. */
async function ranOrHeld(run, watcher) {
  let settled;
  run.then(
    (ran) => (settled = { ran }),
    (err) => (settled = { ran: err }),
  );
  await until(() => settled || watcher.events.some((e) => e.method === 'Debugger.paused'), {
    timeoutMs: 30_000,
    what: 'the form to run, or the thread to pause before it',
  });
  return settled ?? { held: true };
}

test('a form evaluated while VS Code’s debugger sets itself up waits: a breakpoint in its module fires', async () => {
  const file = join(dir, 'src', 'setup.ts');
  writeFileSync(
    file,
    'export function area(w: number, h: number): number {\n  const product: number = w * h;\n  return product;\n}\n',
  );
  const address = await cdpAddress(shared.pool, 'w1');
  // Another debugger on the thread, which asks nothing of it, sees every pause.
  const watcher = await cdpClient(await cdpAddress(shared.pool, 'w1'));
  const c = await attachUnsetUp(address);
  try {
    await watcher.send('Debugger.enable');
    const run = evalOn(shared.pool, 'w1', {
      code: "import { area } from './setup';\narea(6, 7)",
      filename: MAIN,
      line: 1,
    });
    const first = await ranOrHeld(run, watcher);
    assert.deepEqual(first, { held: true }, 'the form waited for the debugger to be set up');
    // The rest of its set-up: the pause before each script with a source map, then "set up".
    await c.send('Debugger.setInstrumentationBreakpoint', { instrumentation: 'beforeScriptWithSourceMapExecution' });
    await c.send('Runtime.runIfWaitingForDebugger');
    // It is told of the pause before the form now; the module it imports pauses next.
    const hit = await breakInModule(c, pathToFileURL(file).href, 3);
    assert.equal(hit.callFrames[0].functionName, 'area');
    await c.send('Debugger.resume');
    assert.equal(await run, 42);
  } finally {
    await c.close();
    await watcher.close();
  }
});

test('a form held for a debugger that leaves before it is set up runs', async () => {
  writeFileSync(join(dir, 'src', 'leave.ts'), 'export const area = (w: number, h: number): number => w * h;\n');
  const watcher = await cdpClient(await cdpAddress(shared.pool, 'w1'));
  const c = await attachUnsetUp(await cdpAddress(shared.pool, 'w1'));
  try {
    await watcher.send('Debugger.enable');
    const run = evalOn(shared.pool, 'w1', {
      code: "import { area } from './leave';\narea(2, 3)",
      filename: MAIN,
      line: 1,
    });
    assert.deepEqual(await ranOrHeld(run, watcher), { held: true });
    await c.close();
    assert.equal(await run, 6);
  } finally {
    await c.close();
    await watcher.close();
  }
});
