// Denial of service before authentication: ws takes its frame limit (`maxPayload`) once per
// connection, and a Crew link needs the full limit (512 MiB) once authenticated. So anyone who
// can reach a port could start one message that claims hundreds of megabytes and make the
// process hold all of it before the handshake had a say. Each end now counts what its peer
// sends until the handshake opens the link, and past 16 KiB it closes the link (1009) and
// reads no more. Both ends are tried: a listening worker that a stranger dials, and a master
// that dials a stranger.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connectWorkers } from 'crew';
import { WebSocketServer } from 'ws';
import { killHard, newSecret, startWorkerProcess } from '../reliability/helpers.mjs';
import { authenticate, open } from '../reliability/wire.mjs';

const MiB = 1024 * 1024;
/** What the stranger offers: half of what an authenticated peer may send in one frame. */
const CLAIMED = 256 * MiB;
/**
 * What may go out before the cut-off is seen: the 16 KiB the handshake allows, one read of
 * the listener's, and the loopback socket buffers of both kernels between (up to 32 MiB to
 * receive and 4 MiB to send here), which hold what the listener no longer reads.
 */
const SENT_AT_MOST = 48 * MiB;
const secret = newSecret();
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * Sends one binary message of `total` bytes in fragments of 64 KiB, each once the last has
 * reached the socket, until a send fails (the peer closed) or all is sent. Resolves with the
 * bytes sent and the code the connection closed with.
 */
async function stream(ws, closed, total) {
  const piece = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  let ended = false;
  void closed.then(() => (ended = true));
  while (!ended && sent < total) {
    const fin = sent + piece.length >= total;
    const written = new Promise((resolve) => ws.send(piece, { binary: true, fin }, resolve));
    const failed = await Promise.race([written, closed]);
    if (failed || ended) break;
    sent += piece.length;
  }
  if (sent >= total) ws.close();
  return { sent, code: (await closed).code };
}

test('a stranger that dials a worker and streams one huge message is cut off at 16 KiB', async () => {
  const worker = await startWorkerProcess({ secret, mode: ['--port', '0'] });
  cleanups.push(() => killHard(worker.child));
  const c = open(`ws://127.0.0.1:${worker.port}/`);
  await c.opened;
  await c.next(); // the worker's hello
  const { sent, code } = await stream(c.ws, c.closed, CLAIMED);
  console.log(`the stranger got ${(sent / MiB).toFixed(1)} MiB of ${CLAIMED / MiB} MiB out before close ${code}`);
  assert.equal(code, 1009, 'closed as too big');
  assert.ok(sent < SENT_AT_MOST, `cut off after ${sent} bytes, not ${CLAIMED}`);
  await worker.out.waitFor(/sent more than 16384 bytes before authenticating/);
  // The worker is none the worse: a master that knows the secret is let in.
  const master = await authenticate(worker.port, secret, 'master');
  master.ws.close();
});

test('a master that dials a stranger streaming one huge hello is cut off at 16 KiB', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  await new Promise((resolve) => server.once('listening', resolve));
  const flood = new Promise((resolve) =>
    server.once('connection', (ws) => {
      const closed = new Promise((r) => ws.on('close', (code) => r({ code })));
      ws.on('error', () => {});
      resolve(stream(ws, closed, CLAIMED));
    }),
  );
  await assert.rejects(connectWorkers([`127.0.0.1:${server.address().port}`], { secret }), (err) => {
    assert.equal(err.code, 'CREW_CONNECT_FAILED');
    assert.match(err.message, /sent more than 16384 bytes before authenticating/);
    return true;
  });
  const { sent, code } = await flood;
  console.log(`the stranger got ${(sent / MiB).toFixed(1)} MiB of ${CLAIMED / MiB} MiB out before close ${code}`);
  assert.equal(code, 1009, 'closed as too big');
  assert.ok(sent < SENT_AT_MOST, `cut off after ${sent} bytes, not ${CLAIMED}`);
});
