// The floor of Crew's shape, for timing beside Crew in the same process: a child process
// (floor.mjs thread-echo) that hands each `ws` message to a worker thread and back.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const floorScript = fileURLToPath(new URL('../systems/floor.mjs', import.meta.url));

/** Starts the echo; `call()` is one 16-byte round trip, `close()` ends the child. */
export async function startThreadEcho() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const child = fork(floorScript, ['thread-echo', String(wss.address().port)]);
  const ws = await new Promise((r) => wss.once('connection', r));
  const small = Buffer.alloc(16);
  return {
    call: () =>
      new Promise((resolve) => {
        ws.once('message', resolve);
        ws.send(small);
      }),
    close: async () => {
      ws.close();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      wss.close();
    },
  };
}
