/**
 * Connections to this process's inspector, and listening to them without being run in the
 * middle of other code.
 *
 * Names, as js-debug has them: an {@link InspectorConnection} is `node:inspector`'s `Session`,
 * one connection to this process's V8 inspector (js-debug's `Connection`). Over it the main
 * thread reaches an eval thread through the `NodeWorker` domain, as a CDP session on that
 * thread (js-debug's `CDPSession` on a `Thread`), named by the `threadSessionId` that
 * `NodeWorker.attachedToWorker` gives.
 *
 * Node hands a connection on the main thread the messages of another thread
 * (here the eval thread, through the `NodeWorker` domain) by a V8 interrupt: the listener runs
 * at the next stack check of whatever JavaScript the main thread is running, inside a
 * `ws.send`, between a frame's sealing and its sending, or half way through a relay's own
 * bookkeeping. A frame sent from there went out before one sealed earlier, or inside one whose
 * header was already written, and the master dropped the worker (`CREW_FRAME_AUTH_FAILED`,
 * `invalid opcode`). So every event is queued and handled on a turn of its own, in the order
 * it came.
 */
import { Session } from 'node:inspector';

/** `node:inspector`'s `Session`: one connection to this process's V8 inspector. */
export const InspectorConnection = Session;
export type InspectorConnection = Session;

type Params = { params: unknown };

/** Calls `handler` for each `method` event of `connection`, on a later turn of the event loop, in order. */
export function onInspectorEvent(
  connection: InspectorConnection,
  method: 'NodeWorker.attachedToWorker' | 'NodeWorker.detachedFromWorker' | 'NodeWorker.receivedMessageFromWorker',
  handler: (params: unknown) => void,
): void {
  connection.on(method, (m: Params) => later(() => handler(m.params)));
}

/** Work waiting for its turn: one queue for the process, so events of all connections keep their order. */
const waiting: (() => void)[] = [];
let turn: NodeJS.Immediate | undefined;

function later(work: () => void): void {
  // Only a push and one flag here: this runs wherever the interrupt landed.
  waiting.push(work);
  turn ??= setImmediate(drain);
}

function drain(): void {
  turn = undefined;
  // Events queued while these run wait for the next turn, after the I/O this one let wait.
  const batch = waiting.splice(0);
  for (let i = 0; i < batch.length; i++) {
    try {
      batch[i]();
    } catch (err) {
      // The rest keep their place; the error goes where a listener's would have gone.
      waiting.unshift(...batch.slice(i + 1));
      turn ??= setImmediate(drain);
      throw err;
    }
  }
}
