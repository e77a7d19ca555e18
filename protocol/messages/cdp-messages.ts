/**
 * Raw Chrome DevTools Protocol carried over the master's connection to a worker, so that VS
 * Code's own JavaScript debugger can attach to a worker's eval thread through a proxy on the
 * master. Crew's own debugger messages are in `debug.ts`; these only relay.
 */
export namespace CdpOpen {
  /** master -> worker: open relay session `sid` to the eval thread's inspector. */
  export interface Msg {
    t: 'cdpOpen';
    sid: number;
  }
}
export namespace CdpMessage {
  /** either way: one CDP message (JSON text) on relay session `sid`. */
  export interface Msg {
    t: 'cdpMessage';
    sid: number;
    message: string;
  }
}
export namespace CdpClose {
  /** either way: relay session `sid` is over (the debugger left, or the thread went away). */
  export interface Msg {
    t: 'cdpClose';
    sid: number;
    reason?: string;
  }
}

export type CdpToWorker = CdpOpen.Msg | CdpMessage.Msg | CdpClose.Msg;
export type CdpToMaster = CdpMessage.Msg | CdpClose.Msg;
