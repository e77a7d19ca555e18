// A test peer: the master's end of a worker's link, reduced to what the scheduler, the agent
// router and the debug broker call on it. `send` (messages) and `sendFrame` (the compact task
// frames WorkerLink encodes itself) answer true while it is open and record what was sent, at
// once, so a test can look right after a dispatch. The link itself, with the codec and the
// guards, is tested over the in-memory pair (link.test.mjs, worker-link.test.mjs).

/** A transport that records what the master sends; `close()` makes later sends fail. */
export function testPeerTransport(peer = '127.0.0.1:0') {
  const sent = [];
  const frames = [];
  const transport = {
    peer,
    phase: 'open',
    peerCloseCode: undefined,
    sent,
    frames,
    send(message) {
      if (transport.phase !== 'open') return false;
      sent.push(message);
      return true;
    },
    sendFrame(frame) {
      if (transport.phase !== 'open') return false;
      frames.push(frame);
      return true;
    },
    close(code = 1006) {
      transport.phase = 'closed';
      transport.peerCloseCode = code;
    },
  };
  return transport;
}

/** A worker's link as the router and the debug broker see it: an id and a recording transport. */
export function testPeer(id) {
  return { id, transport: testPeerTransport(`${id}.test:0`) };
}

/** What a test peer was sent, only the messages of type `t`. */
export function sentOf(peer, t) {
  return peer.transport.sent.filter((m) => m.t === t);
}
