/** Defaults that bound resources. Each can be overridden through options. */
export const Defaults = {
  /** Largest frame accepted after authentication (ws `maxPayload`). */
  maxFrameBytes: 512 * 1024 * 1024,
  /**
   * Bytes a peer may send before authentication, all its frames together: a handshake is
   * two or three frames of a few hundred bytes.
   */
  maxHandshakeBytes: 16 * 1024,
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
  /**
   * Largest message a debugger may send to the master's CDP endpoint (ws `maxPayload`). An
   * editor's CDP commands (breakpoints, `Runtime.evaluate` of a typed expression) are a few
   * KiB; what comes back from a worker, a script's source included, is not limited by this.
   */
  maxCdpMessageBytes: 4 * 1024 * 1024,
  /** Debugger addresses handed out and not yet used; the oldest is dropped past this. */
  maxCdpTokens: 256,
  /**
   * A session's eval thread restarts at most once in this long, however many interrupts its
   * master sends; the interrupts in between are held and coalesced into one (interrupt-gate.ts).
   */
  interruptWindowMs: 250,
  /** Tasks (or forms) of one frame handed to the eval thread between turns of the event loop. */
  maxTasksPerSlice: 4096,
  /** Time a worker spends on one link's backlog of messages before other links get a turn. */
  inboundSliceMs: 5,
} as const;
