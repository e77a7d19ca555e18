/**
 * Raw Chrome DevTools Protocol carried over the master's connection to a worker, so that VS
 * Code's own JavaScript debugger can attach to a worker's eval thread through a proxy on the
 * master. Crew's own debugger messages are in `debug-messages.ts`; these only relay.
 */
import { num, optional, str } from './field-checks';
import { message, type MessageOf, type SentBy } from './link-message';

export namespace CdpOpen {
  /** master -> worker: open a relay to the eval thread's inspector for debugger `debuggerId`. */
  export const type = message('cdpOpen', 'master', { debuggerId: num });
  export type Msg = MessageOf<typeof type>;
}
export namespace CdpMessage {
  /** either way: one CDP message (JSON text) to or from debugger `debuggerId`. */
  export const type = message('cdpMessage', 'both', { debuggerId: num, message: str });
  export type Msg = MessageOf<typeof type>;
}
export namespace CdpClose {
  /** either way: debugger `debuggerId`'s relay is over (the debugger left, or the thread went away). */
  export const type = message('cdpClose', 'both', { debuggerId: num, reason: optional(str) });
  export type Msg = MessageOf<typeof type>;
}

/** This file's messages, for the link's table. */
export const cdpMessageTypes = [CdpOpen.type, CdpMessage.type, CdpClose.type] as const;
type Cdp = (typeof cdpMessageTypes)[number];

export type CdpToWorker = SentBy<Cdp, 'master'>;
export type CdpToMaster = SentBy<Cdp, 'worker'>;
