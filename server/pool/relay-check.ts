/**
 * A master that dials an address and hears a worker it already holds at another address knows
 * that something relays the one to the other (a port squatter passing the handshake through).
 * The handshake proves each worker's identity, so the answer can be refused at the hello,
 * before the master sends anything the relay could take to the worker.
 */
import type { WorkerLink } from './worker-link';

/** Why a worker that `address` answers as must be refused; undefined when it is not held elsewhere. */
export function heldElsewhere(links: Iterable<WorkerLink>, peerId: string, address: string): string | undefined {
  for (const link of links) {
    if (link.peerId === peerId && link.transport.phase === 'open' && link.dialAddress !== address)
      return (
        `it is worker ${link.id}, already connected at ${link.dialAddress ?? link.transport.peer}: ` +
        `something relays ${address} to it`
      );
  }
  return undefined;
}
