// A raw Chrome DevTools Protocol client over the master's CDP endpoint, playing VS Code's
// debugger (js-debug) in tests: commands, events waited for by predicate, and the source-map
// steps js-debug takes to bind a breakpoint in the user's file.
import { SourceMap } from 'node:module';
import WebSocket from 'ws';
import { until } from '../helpers.mjs';

/** Connects to `url` (from cdpAddress or crew/debugAttach); resolves once open. */
export async function cdpClient(url) {
  const ws = new WebSocket(url);
  const events = [];
  const replies = new Map();
  let id = 0;
  let closed;
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.id) replies.get(m.id)?.(m);
    else events.push(m);
  });
  const ended = new Promise((resolve) =>
    ws.on('close', (code, reason) => resolve((closed = { code, reason: String(reason) }))),
  );
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  const client = {
    ws,
    events,
    ended,
    get closed() {
      return closed;
    },
    /** Sends a command; resolves with its result, rejects with its CDP error. */
    send(method, params = {}) {
      return new Promise((resolve, reject) => {
        const i = ++id;
        replies.set(i, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
        ws.send(JSON.stringify({ id: i, method, params }));
      });
    },
    /** The next event `method` (after `from`, an index into events) that matches; its index is `.at`. */
    async event(method, match = () => true, { from = 0, timeoutMs = 30_000 } = {}) {
      let hit;
      await until(
        () => {
          const i = events.findIndex((e, k) => k >= from && e.method === method && match(e.params));
          if (i !== -1) hit = { ...events[i].params, at: i };
          return i !== -1;
        },
        { timeoutMs, what: `CDP event ${method}`, everyMs: 20 },
      );
      return hit;
    },
    /** Waits for the next pause after event index `from`, as js-debug shows one. */
    paused(from, match) {
      return client.event('Debugger.paused', match, { from });
    },
    close() {
      ws.close();
      return ended;
    },
  };
  return client;
}

/** The source map a script names inline (as Crew's forms do); undefined when none. */
export function inlineMap(sourceMapURL) {
  const m = /^data:application\/json;(?:charset=utf-8;)?base64,(.*)$/.exec(sourceMapURL ?? '');
  return m ? JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) : undefined;
}

/** The first generated (0-based) line of `source` whose code `map` places on the user's 1-based `line`. */
export function generatedLine(map, source, line) {
  const sm = new SourceMap(map);
  const lines = source.split('\n');
  for (let g = 0; g < lines.length; g++)
    for (let c = 0; c < lines[g].length; c++) {
      const e = sm.findEntry(g, c);
      if (e.generatedLine === g && e.originalLine === line - 1) return g;
    }
  return undefined;
}
