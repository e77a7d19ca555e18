// The master's CDP endpoint: a standard DevTools client attaches to a suspended worker's eval
// thread through the master, sees the live paused frame, and a used token is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { cdpAddress, evalOn, ErrorCodes } from 'crew';
import { sharedPool } from '../helpers.mjs';

const shared = sharedPool(1, { setup: (pool) => pool.setDebugOnError(true) });

function cdpClient(url) {
  const ws = new WebSocket(url);
  const events = [];
  const replies = new Map();
  const waiters = [];
  let id = 0;
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.id) replies.get(m.id)?.(m);
    else {
      events.push(m);
      for (const w of [...waiters])
        if (w.method === m.method) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
    }
  });
  return {
    ws,
    opened: new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    }),
    send: (method, params = {}) =>
      new Promise((resolve) => {
        const i = ++id;
        replies.set(i, resolve);
        ws.send(JSON.stringify({ id: i, method, params }));
      }),
    event: (method) => {
      const hit = events.find((e) => e.method === method);
      return hit ? Promise.resolve(hit) : new Promise((resolve) => waiters.push({ method, resolve }));
    },
  };
}

test('a DevTools client attaches through the master to the suspended eval thread', async () => {
  const paused = new Promise((r) => shared.pool.debug.once('paused', r));
  const call = evalOn(shared.pool, 'w1', {
    code: 'function scale(x) { const factor = 3; throw new Error("scale failed " + x * factor) }\nscale(14)',
    filename: '/src/scale.js',
  });
  const s = await paused;
  const url = await cdpAddress(shared.pool, 'w1');
  assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/crew\/w1\/[0-9a-f]{48}$/);
  const c = cdpClient(url);
  await c.opened;
  const pid = await c.send('Runtime.evaluate', { expression: 'process.pid' });
  assert.equal(pid.result.result.value, shared.pool.workers[0].pid, 'the endpoint is the worker process');
  // What DevTools sends as it attaches: enable, then say it is set up.
  await c.send('Debugger.enable');
  await c.send('Runtime.runIfWaitingForDebugger');
  const p = await c.event('Debugger.paused');
  assert.equal(p.params.callFrames[0].functionName, 'scale');
  const factor = await c.send('Debugger.evaluateOnCallFrame', {
    callFrameId: p.params.callFrames[0].callFrameId,
    expression: 'factor * x',
  });
  assert.equal(factor.result.result.value, 42);
  c.ws.close();
  // The token was for one attachment only: a second is refused at the upgrade.
  const again = await new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => resolve({ opened: true }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.on('error', () => {});
  });
  assert.equal(again.status, 401);
  assert.match(again.body, /used or expired token/);
  await shared.pool.debug.request(s.id, { op: 'restart', restart: { kind: 'return', expression: '"attached"' } });
  assert.equal(await call, 'attached');
});

test('asking for an unknown worker names it', async () => {
  await assert.rejects(
    cdpAddress(shared.pool, 'w9'),
    (err) => err.code === ErrorCodes.UnknownWorker && /w9/.test(err.message),
  );
});
