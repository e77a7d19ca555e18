// A test peer: the far end of a worker's connection, reduced to what the master's side
// calls on it. `send` (messages) and `ws.send` (frames WorkerLink writes itself) answer
// true while it is open and record what was sent. Every unit test that needs a link makes
// it here, so this one place can give way to an in-memory link pair.

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
    ws: {
      send(frame) {
        frames.push(frame);
      },
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
