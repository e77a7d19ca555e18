// VS Code's debugger on the workers, played by a raw CDP client through the master's proxy as
// js-debug does it: a form from a file pauses before it runs (the instrumentation breakpoint)
// with a source map naming the user's file, a breakpoint bound by that map fires at the
// user's line, stepping and conditions work, one worker stepping leaves the other working, a
// worker the Crew Debugger holds at a throw says it paused at that exception, and a debugger
// that leaves lets its paused worker go; a logpoint logs without stopping; a throw the code
// catches is never shown; Pause, Step Into and Step Out act on one worker.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { cdpAddress, evalFormAllWorkers, evalOn } from 'crew';
import { sharedPool, tempDir } from '../helpers.mjs';
import { cdpClient, generatedLine, inlineMap } from './cdp-client.mjs';

const shared = sharedPool(2, { setup: (pool) => pool.setDebugOnError(true) });
const dir = tempDir();

const WORK = `function work(n: number): number {
  const doubled = n * 2;
  const total = doubled + 1;
  return total;
}
work(20)
`;

/** Attaches as js-debug does: debugger on, and a pause before each script with a source map. */
async function attach(worker) {
  const c = await cdpClient(await cdpAddress(shared.pool, worker));
  await c.send('Runtime.enable');
  await c.send('Debugger.enable');
  await c.send('Debugger.setInstrumentationBreakpoint', { instrumentation: 'beforeScriptWithSourceMapExecution' });
  return c;
}

/** At an instrumentation pause: binds a breakpoint at the user's `line` through the script's source map. */
async function bindAt(c, pause, line, condition) {
  const { scriptId, url, sourceMapURL } = pause.data;
  const map = inlineMap(sourceMapURL);
  const { scriptSource } = await c.send('Debugger.getScriptSource', { scriptId });
  const lineNumber = generatedLine(map, scriptSource, line);
  assert.notEqual(lineNumber, undefined, `line ${line} is in the map`);
  return c.send('Debugger.setBreakpointByUrl', { url, lineNumber, ...(condition ? { condition } : {}) });
}

const local = async (c, pause, expression) =>
  (await c.send('Debugger.evaluateOnCallFrame', { callFrameId: pause.callFrames[0].callFrameId, expression })).result
    .value;

test('a breakpoint set before the evaluation fires at the user line; step; the other worker works on', async () => {
  const file = join(dir, 'work.ts');
  const c = await attach('w1');
  try {
    const run = evalFormAllWorkers(shared.pool, { code: WORK, filename: file, line: 1 }, { replayRequired: false });
    const before = await c.paused(0, (p) => p.reason === 'instrumentation');
    const map = inlineMap(before.data.sourceMapURL);
    assert.deepEqual(map.sources, [pathToFileURL(file).href], 'the map names the user file');
    await bindAt(c, before, 2);
    const from = c.events.length;
    await c.send('Debugger.resume');
    const hit = await c.paused(from, (p) => p.hitBreakpoints?.length > 0);
    assert.equal(hit.callFrames[0].functionName, 'work');
    assert.equal(await local(c, hit, 'n'), 20);
    // w1 is held; w2 has finished, and answers more work meanwhile.
    assert.equal(await evalOn(shared.pool, 'w2', '6 * 7'), 42);
    const next = c.events.length;
    await c.send('Debugger.stepOver');
    const stepped = await c.paused(next);
    assert.equal(await local(c, stepped, 'doubled'), 40, 'one step ran line 2');
    await c.send('Debugger.resume');
    assert.deepEqual(await run, [41, 41]);
  } finally {
    await c.close();
  }
});

test('a breakpoint set after the definition was evaluated fires, with its condition', async () => {
  const file = join(dir, 'loop.js');
  await evalFormAllWorkers(
    shared.pool,
    {
      code: 'function sum(k) {\n  let s = 0;\n  for (let i = 0; i < k; i++)\n    s += i;\n  return s;\n}',
      filename: file,
    },
    { replayRequired: false },
  );
  const c = await attach('w2');
  try {
    // The script was parsed before the debugger came: js-debug finds it from scriptParsed.
    const parsed = await c.event('Debugger.scriptParsed', (p) =>
      decodeURIComponent(p.url).startsWith(pathToFileURL(file).href),
    );
    assert.deepEqual(inlineMap(parsed.sourceMapURL).sources, [pathToFileURL(file).href]);
    await bindAt(c, { data: parsed }, 4, 'i === 3');
    const from = c.events.length;
    const call = evalOn(shared.pool, 'w2', 'sum(6)');
    const hit = await c.paused(from, (p) => p.hitBreakpoints?.length > 0);
    assert.equal(await local(c, hit, 'i'), 3, 'the condition held');
    assert.equal(await local(c, hit, 's'), 3);
    await c.send('Debugger.resume');
    assert.equal(await call, 15);
    assert.equal(c.events.filter((e) => e.method === 'Debugger.paused' && e.params.hitBreakpoints?.length).length, 1);
  } finally {
    await c.close();
  }
});

test('a logpoint logs on the worker without stopping it', async () => {
  const file = join(dir, 'logged.ts');
  const c = await attach('w2');
  try {
    const run = evalOn(shared.pool, 'w2', { code: WORK, filename: file, line: 1 });
    const before = await c.paused(0, (p) => p.reason === 'instrumentation');
    // A logpoint is a condition that logs and answers false, as js-debug makes one.
    await bindAt(c, before, 3, 'console.log(`doubled is ${doubled}`), false');
    const from = c.events.length;
    await c.send('Debugger.resume');
    assert.equal(await run, 41, 'the evaluation ran through the logpoint');
    const logged = await c.event('Runtime.consoleAPICalled', (p) => p.type === 'log', { from });
    assert.equal(logged.args[0].value, 'doubled is 40');
    assert.ok(
      !c.events.slice(from).some((e) => e.method === 'Debugger.paused'),
      'the logpoint did not pause the worker',
    );
  } finally {
    await c.close();
  }
});

test('Pause stops a busy worker where it runs, and the other works on meanwhile', async () => {
  const c = await attach('w1');
  try {
    const run = evalOn(shared.pool, 'w1', "var end = Date.now() + 120000;\nwhile (Date.now() < end) {}\n'let go'");
    // A pause asked for before the task arrives stops in Crew's code first: go on until it stops in the loop.
    let paused;
    for (;;) {
      const from = c.events.length;
      await c.send('Debugger.pause');
      paused = await c.paused(from);
      if ((await local(c, paused, 'typeof end')) === 'number') break;
      await c.send('Debugger.resume');
    }
    assert.equal(paused.reason, 'other');
    assert.equal(await evalOn(shared.pool, 'w2', '6 * 7'), 42, 'w2 is not held');
    await c.send('Debugger.evaluateOnCallFrame', {
      callFrameId: paused.callFrames[0].callFrameId,
      expression: 'end = 0',
    });
    await c.send('Debugger.resume');
    assert.equal(await run, 'let go');
  } finally {
    await c.close();
  }
});

test('Step Into and Step Out move through the calls of the user file', async () => {
  const file = join(dir, 'calls.ts');
  const code = [
    'function inner(k: number): number {',
    '  return k * 3;',
    '}',
    'function outer(k: number): number {',
    '  const r = inner(k);',
    '  return r + 1;',
    '}',
  ].join('\n');
  await evalFormAllWorkers(shared.pool, { code, filename: file }, { replayRequired: false });
  const c = await attach('w2');
  try {
    const parsed = await c.event('Debugger.scriptParsed', (p) =>
      decodeURIComponent(p.url).startsWith(pathToFileURL(file).href),
    );
    await bindAt(c, { data: parsed }, 5);
    let from = c.events.length;
    const call = evalOn(shared.pool, 'w2', 'outer(2)');
    const hit = await c.paused(from, (p) => p.hitBreakpoints?.length > 0);
    assert.equal(hit.callFrames[0].functionName, 'outer');
    from = c.events.length;
    await c.send('Debugger.stepInto');
    const into = await c.paused(from);
    assert.equal(into.callFrames[0].functionName, 'inner');
    assert.equal(await local(c, into, 'k'), 2);
    from = c.events.length;
    await c.send('Debugger.stepOut');
    const out = await c.paused(from);
    assert.equal(out.callFrames[0].functionName, 'outer');
    await c.send('Debugger.resume');
    assert.equal(await call, 7);
  } finally {
    await c.close();
  }
});

test('a debugger that leaves lets its paused worker go', async () => {
  const file = join(dir, 'leave.ts');
  const c = await attach('w1');
  const run = evalOn(shared.pool, 'w1', { code: WORK, filename: file, line: 1 });
  const before = await c.paused(0, (p) => p.reason === 'instrumentation');
  await bindAt(c, before, 3);
  const from = c.events.length;
  await c.send('Debugger.resume');
  await c.paused(from, (p) => p.hitBreakpoints?.length > 0);
  await c.close();
  assert.equal(await run, 41, 'the evaluation finished without the debugger');
});

test('attaching while the Crew Debugger holds a throw pauses at that exception, with its text', async () => {
  const suspended = new Promise((r) => shared.pool.debug.once('paused', r));
  const call = evalOn(shared.pool, 'w2', {
    code: 'function fail(x: number) {\n  throw new RangeError(`bad ${x}`);\n}\nfail(3)',
    filename: join(dir, 'fail.ts'),
  });
  const s = await suspended;
  const c = await cdpClient(await cdpAddress(shared.pool, 'w2'));
  try {
    // What js-debug sends as it attaches under Crew's extension, which asks for caught exceptions.
    await c.send('Debugger.enable');
    await c.send('Debugger.setPauseOnExceptions', { state: 'all' });
    await c.send('Runtime.runIfWaitingForDebugger');
    const p = await c.paused(0);
    assert.equal(p.reason, 'exception', 'not "other", which VS Code shows as a debugger statement');
    assert.equal(p.data.className, 'RangeError');
    assert.match(p.data.description, /^RangeError: bad 3/);
    assert.equal(p.callFrames[0].functionName, 'fail');
  } finally {
    await c.close();
  }
  // The Crew Debugger still holds it, with its restarts.
  assert.ok(shared.pool.debug.list().some((x) => x.id === s.id));
  await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'return', expression: '"returned"' } });
  assert.equal(await call, 'returned');
});

test('a debugger set up without asking for throws is told of a held throw as V8 gives it, and keeps it', async () => {
  const suspended = new Promise((r) => shared.pool.debug.once('paused', r));
  const call = evalOn(shared.pool, 'w1', { code: 'throw new TypeError("held")', filename: join(dir, 'held.js') });
  const s = await suspended;
  const c = await cdpClient(await cdpAddress(shared.pool, 'w1'));
  try {
    await c.send('Debugger.enable');
    // js-debug says it is set up only after its exception filters: none were asked for. An
    // exception pause would be resumed by it as unwanted; V8's own reason is not.
    await c.send('Runtime.runIfWaitingForDebugger');
    // Told as the command went by, before the thread's reply to it came back over the same link.
    const told = c.events.find((e) => e.method === 'Debugger.paused');
    assert.ok(told, 'the pause was told when the debugger said it was set up, not after a time limit');
    assert.equal(told.params.reason, 'other');
    assert.match(told.params.data.description, /^TypeError: held/);
    await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'return', expression: '"on"' } });
    assert.equal(await call, 'on');
  } finally {
    await c.close();
  }
});

test('a suspension that ends before the attached debugger asks for throws is never told to it', async () => {
  const suspended = new Promise((r) => shared.pool.debug.once('paused', r));
  const call = evalOn(shared.pool, 'w2', { code: 'throw new Error("gone")', filename: join(dir, 'gone.js') });
  const s = await suspended;
  const c = await cdpClient(await cdpAddress(shared.pool, 'w2'));
  try {
    await c.send('Debugger.enable');
    await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'return', expression: '"went on"' } });
    assert.equal(await call, 'went on');
    // The pause was held for this; the thread has gone on since, so it must not be told now.
    await c.send('Debugger.setPauseOnExceptions', { state: 'all' });
    await c.send('Runtime.evaluate', { expression: '1' });
    const seen = c.events.filter((e) => e.method === 'Debugger.paused' || e.method === 'Debugger.resumed');
    assert.deepEqual(seen, [], 'neither the pause nor its end was told');
  } finally {
    await c.close();
  }
});

test('a debugger attached before a throw that asks for no exception pauses still sees the suspension', async () => {
  const c = await cdpClient(await cdpAddress(shared.pool, 'w1'));
  try {
    await c.send('Debugger.enable');
    // What js-debug sends with both exception boxes unticked.
    await c.send('Debugger.setPauseOnExceptions', { state: 'none' });
    const suspended = new Promise((r) => shared.pool.debug.once('paused', r));
    const call = evalOn(shared.pool, 'w1', {
      code: 'function g() {\n  throw new Error("escapes");\n}\ng()',
      filename: join(dir, 'g.js'),
    });
    const s = await suspended;
    assert.equal(s.condition.message, 'escapes');
    const p = await c.paused(0, (x) => x.reason === 'exception');
    assert.match(p.data.description, /^Error: escapes/);
    await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } });
    await assert.rejects(call, /escapes/);
  } finally {
    await c.close();
  }
});

test('throws the code catches never reach the debugger, though it asks for every throw', async () => {
  const c = await cdpClient(await cdpAddress(shared.pool, 'w2'));
  try {
    await c.send('Debugger.enable');
    // What Crew's extension asks for, so that js-debug keeps the Crew Debugger's suspensions.
    await c.send('Debugger.setPauseOnExceptions', { state: 'all' });
    const from = c.events.length;
    const caught = "(() => { try { JSON.parse('{') } catch { return 5 } })()";
    assert.equal(await evalOn(shared.pool, 'w2', caught), 5);
    const seen = c.events.slice(from).filter((e) => e.method === 'Debugger.paused' || e.method === 'Debugger.resumed');
    assert.deepEqual(seen, [], 'no pause was shown for a caught throw');
  } finally {
    await c.close();
  }
});
