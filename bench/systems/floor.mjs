// The floor: bare `ws` between this process (the server, like Crew's master) and a child
// process (the client, like a worker) that echoes every message. Nothing of Crew runs here.
// A second child echoes through a worker thread, as a Crew worker's connection thread hands
// each task to its eval thread and the result back: the floor of Crew's own shape.
import { fork, spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { percentile, report } from '../lib/work.mjs';

const require = createRequire(import.meta.url);

if (process.argv[2] === 'echo') {
  const ws = new WebSocket(`ws://127.0.0.1:${process.argv[3]}/`, { maxPayload: 512 * 1024 * 1024 });
  ws.on('message', (data) => ws.send(data));
  ws.on('close', () => process.exit(0));
} else if (process.argv[2] === 'thread-echo') {
  const thread = new Worker(
    "const { parentPort } = require('node:worker_threads'); " +
      "parentPort.on('message', (m) => parentPort.postMessage(m));",
    { eval: true },
  );
  const ws = new WebSocket(`ws://127.0.0.1:${process.argv[3]}/`);
  ws.on('message', (data) => thread.postMessage(data));
  thread.on('message', (data) => ws.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  ws.on('close', () => process.exit(0));
} else {
  const quick = process.argv.includes('--quick');
  const guard = process.argv.includes('--guard');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 512 * 1024 * 1024 });
  await new Promise((r) => wss.once('listening', r));
  const child = fork(fileURLToPath(import.meta.url), ['echo', String(wss.address().port)]);
  const ws = await new Promise((r) => wss.once('connection', r));
  const metrics = {};

  // Start-up floor: 2 (and 48) bare Node processes that load ws, dial in and say hello.
  if (!guard) {
    metrics.startup_s = await hellos(2);
    if (!quick) metrics.startup_48_s = await hellos(48);
  }
  /**
   * Seconds until `count` bare processes have dialed in and said hello; with `thread`, each
   * first starts a worker thread and waits for its word, as a Crew worker starts its eval thread.
   */
  async function hellos(count, thread = false) {
    const t0 = performance.now();
    const all = new Promise((resolve) => {
      let n = 0;
      const onConnection = (peer) =>
        peer.once('message', () => {
          peer.close();
          if (++n === count) {
            wss.off('connection', onConnection);
            resolve();
          }
        });
      wss.on('connection', onConnection);
    });
    // Plain CommonJS, as small as a process that dials with ws can be.
    const hello =
      `const W = require(${JSON.stringify(require.resolve('ws'))}); ` +
      `const ws = new W('ws://127.0.0.1:${wss.address().port}/'); ` +
      `ws.on('open', () => ws.send('hello')); ws.on('close', ` +
      `() => process.exit(0));`;
    const script = thread
      ? "const { Worker } = require('node:worker_threads'); " +
        `new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true })` +
        `.once('message', () => { ${hello} });`
      : hello;
    const kids = Array.from({ length: count }, () => spawn(process.execPath, ['-e', script], { stdio: 'inherit' }));
    await all;
    const secs = (performance.now() - t0) / 1000;
    await Promise.all(kids.map((k) => (k.exitCode === null ? new Promise((r) => k.once('exit', r)) : null)));
    return secs;
  }

  const roundTrip = (data) =>
    new Promise((resolve) => {
      ws.once('message', resolve);
      ws.send(data);
    });

  const small = Buffer.alloc(16);
  for (let i = 0; i < 500; i++) await roundTrip(small);
  const lat = [];
  for (let i = 0; i < (quick ? 500 : 2000); i++) {
    const s = performance.now();
    await roundTrip(small);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  metrics.echo_p50_ms = percentile(lat, 50);
  metrics.echo_p99_ms = percentile(lat, 99);

  // Pipelined: every message is sent at once and the echoes counted.
  const M = quick || guard ? 50_000 : 200_000;
  let got = 0;
  const t = performance.now();
  await new Promise((resolve) => {
    const count = () => {
      if (++got === M) {
        ws.off('message', count);
        resolve();
      }
    };
    ws.on('message', count);
    for (let i = 0; i < M; i++) ws.send(small);
  });
  metrics.pipelined_msgs_s = M / ((performance.now() - t) / 1000);

  // The same bytes as Crew's large-value round trip: 64 MiB out and back.
  if (!guard) {
    const big = Buffer.from(new Float64Array(8 * 1024 * 1024).map((_, i) => i).buffer);
    const rates = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const back = await roundTrip(big);
      if (back.length !== big.length) throw new Error('echo lost bytes');
      rates.push((2 * big.length) / 2 ** 20 / ((performance.now() - s) / 1000));
    }
    rates.sort((a, b) => a - b);
    metrics.large_mib_s = rates[1];
  }

  // The same echo, where the peer hands each message to a worker thread and back.
  if (!guard) {
    const threaded = fork(fileURLToPath(import.meta.url), ['thread-echo', String(wss.address().port)]);
    const tws = await new Promise((r) => wss.once('connection', r));
    const viaThread = (data) =>
      new Promise((resolve) => {
        tws.once('message', resolve);
        tws.send(data);
      });
    for (let i = 0; i < 500; i++) await viaThread(small);
    const tlat = [];
    for (let i = 0; i < (quick ? 500 : 2000); i++) {
      const s = performance.now();
      await viaThread(small);
      tlat.push(performance.now() - s);
    }
    tlat.sort((a, b) => a - b);
    metrics.thread_echo_p50_ms = percentile(tlat, 50);
    metrics.thread_echo_p99_ms = percentile(tlat, 99);
    tws.close();
    await new Promise((r) => threaded.once('exit', r));
  }

  // Last, so it moves none of the rows above: the start-up floor of Crew's shape.
  if (!guard && !quick) metrics.startup_48_thread_s = await hellos(48, true);

  ws.close();
  await new Promise((r) => child.once('exit', r));
  wss.close();
  report('floor', metrics);
}
