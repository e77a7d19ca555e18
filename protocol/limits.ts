/** Defaults that bound resources. Each can be overridden through options. */
export const Defaults = {
  /** Largest frame accepted after authentication (ws `maxPayload`). */
  maxFrameBytes: 512 * 1024 * 1024,
  /** Largest frame accepted before authentication: handshake frames are a few hundred bytes. */
  maxHandshakeFrameBytes: 16 * 1024,
  /** Time allowed for a peer to finish the handshake. */
  handshakeTimeoutMs: 5_000,
  /** A peer that answers no ping for this long is treated as dead. */
  heartbeatTimeoutMs: 10_000,
  /** Tasks waiting in a pool's queue before new calls are refused. */
  maxQueuedTasks: 10_000_000,
  /** A task that has been on this many workers when they died is marked bad. */
  maxTaskWorkerKills: 3,
  /** How long queued tasks wait for a worker when the pool has none. */
  noWorkerGraceMs: 5_000,
  /** First and largest delay between a dialing worker's reconnection attempts. */
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
  /** Masters a listening worker serves at once, each in a session of its own. */
  maxSessions: 4,
} as const;
