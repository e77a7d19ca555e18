/**
 * Dialing one listening worker into a pool: the handshake, its first `ready`, and redialing it
 * with backoff when it drops. A worker is connected once, whatever addresses it is listed under.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';
import { dialHandshake } from '../../protocol/link/worker-handshake';
import { Defaults } from '../../protocol/limits';
import type { Ready } from '../../protocol/messages/worker-link-messages';
import type { SecretOptions } from '../../protocol/secret';
import { dial, type DialTls } from '../../protocol/link/sockets';
import { CloseCodes, type LinkSubscription, type MasterEnd } from '../../protocol/link/link';
import { dialFailure } from './dial-failure';
import { heldElsewhere } from './relay-check';
import type { PoolOptions, WorkerPool } from './pool';

export interface ConnectOptions extends PoolOptions, SecretOptions {
  /** CL-MW's member id: keeps different jobs apart. */
  member?: string;
  maxFrameBytes?: number;
  /** Redial a dialed worker that drops (default true). */
  redial?: boolean;
  /**
   * TLS: `auto` (default: TLS to a worker beyond loopback), `on`, `off` (plain, with a warning),
   * or a check of the workers' certificates (`{ ca }`). A choice applies to listening too.
   */
  tls?: DialTls;
  /** Time a peer has to finish the authentication handshake (default 5 s). */
  handshakeTimeoutMs?: number;
}

/** Dials one worker; once connected, redials it with backoff if it drops. */
export async function dialWorker(
  pool: WorkerPool,
  address: string,
  secret: Buffer,
  opts: ConnectOptions = {},
): Promise<void> {
  const dialing = dialingIn(pool);
  /** Why this address's worker was refused before the handshake finished: it is held already. */
  let vetoed: string | undefined;
  const attempt = async (): Promise<MasterEnd> => {
    let claimed: string | undefined;
    vetoed = undefined;
    try {
      const { link: transport, id } = await dialHandshake(dial(address, { ...opts, auditTrail: pool.audit }), {
        secret,
        role: 'master',
        member: opts.member,
        timeoutMs: opts.handshakeTimeoutMs,
        identity: pool.identity,
        vetPeer: (peer) => {
          vetoed = heldElsewhere(pool.links.values(), peer.id, address) ?? heldHere(pool, dialing, peer.id);
          if (!vetoed) dialing.set((claimed = peer.id), address);
          return vetoed;
        },
      });
      const info = await firstReady(transport);
      pool.adopt(transport, info, address, id);
      return transport;
    } finally {
      if (claimed) dialing.delete(claimed);
    }
  };
  let transport: MasterEnd;
  try {
    transport = await attempt();
  } catch (err) {
    pool.audit.log('refused', { worker: address, reason: (err as Error).message });
    if (vetoed) throw crewError(ErrorCodes.ConnectFailed, `cannot connect to worker ${address}: ${vetoed}`);
    throw dialFailure(address, err as Error);
  }
  if (opts.redial === false) return;
  const redial = (t: MasterEnd) =>
    t.onEnd(() => {
      void (async () => {
        let delay: number = Defaults.reconnectMinMs;
        while (!pool.closed) {
          await new Promise((r) => setTimeout(r, delay));
          if (pool.closed) return;
          try {
            redial(await attempt());
            return;
          } catch {
            // Another link holds the worker now, and redials it itself.
            if (vetoed) return;
            delay = Math.min(delay * 2, Defaults.reconnectMaxMs);
          }
        }
      })();
    });
  redial(transport);
}

/** Workers being dialed into each pool, by their proven identity, with the address each is dialed at. */
const dialingByPool = new WeakMap<WorkerPool, Map<string, string>>();

function dialingIn(pool: WorkerPool): Map<string, string> {
  let dialing = dialingByPool.get(pool);
  if (!dialing) dialingByPool.set(pool, (dialing = new Map()));
  return dialing;
}

/**
 * Why a worker must not be dialed again: it is in the pool already, or being dialed at
 * another address (one worker listed under two names). A second link would replace the first
 * on both ends, and the first's redial would replace it in turn, forever.
 */
function heldHere(pool: WorkerPool, dialing: ReadonlyMap<string, string>, peerId: string): string | undefined {
  for (const link of pool.links.values())
    if (link.peerId === peerId && link.transport.phase === 'open')
      return `it is worker ${link.id}, already in the pool (at ${link.dialAddress ?? link.address})`;
  const other = dialing.get(peerId);
  if (other !== undefined) return `it is the worker being connected at ${other} already`;
  return undefined;
}

/**
 * The worker's `ready`; each failure rejects before the link is ended, whose own rejection is vaguer.
 * Its handlers go once it settles: what comes after `ready` waits on the link for the pool's.
 */
export function firstReady(transport: MasterEnd): Promise<Ready.Msg['info']> {
  const handlers: LinkSubscription[] = [];
  return new Promise<Ready.Msg['info']>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(crewError(ErrorCodes.HandshakeTimeout, `${transport.peer} authenticated but never said it was ready`));
      transport.dispose(CloseCodes.HandshakeTimeout, 'no ready message');
    }, Defaults.handshakeTimeoutMs);
    const settled = transport.onMessage((m) => {
      settled.dispose();
      clearTimeout(timer);
      const msg = m as Partial<Ready.Msg>;
      if (msg?.t === 'ready' && typeof msg.info?.name === 'string') resolve(msg.info);
      else if (m.t === 'protocolError' && m.code === ErrorCodes.WorkerBusy) {
        // A worker at its --max-sessions limit says so instead of being ready.
        reject(crewError(ErrorCodes.WorkerBusy, m.message));
        transport.dispose(CloseCodes.Normal, 'the worker is busy');
      } else {
        reject(crewError(ErrorCodes.BadFrame, `${transport.peer} sent ${String(msg?.t)} before ready`));
        transport.dispose(CloseCodes.BadFrame, 'expected a ready message');
      }
    });
    handlers.push(
      settled,
      transport.onBadFrame((err) => {
        clearTimeout(timer);
        reject(crewError(ErrorCodes.BadFrame, `${transport.peer} sent a bad frame before ready: ${err.message}`));
        transport.dispose(CloseCodes.BadFrame, 'expected a ready message');
      }),
      transport.onEnd((reason) =>
        reject(crewError(ErrorCodes.ConnectFailed, `${transport.peer} closed before it was ready: ${reason}`)),
      ),
    );
  }).finally(() => {
    for (const h of handlers) h.dispose();
  });
}
