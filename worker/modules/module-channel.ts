/**
 * How the eval thread gets a module's code while its code runs: `require` is synchronous, so
 * the thread asks the worker's main thread over a port of its own and waits on a shared flag
 * (Atomics.wait) while the main thread answers from the disk cache or the master. The main
 * thread never waits on the eval thread, so heartbeats, interrupts and the debugger go on.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { ModuleCode } from '../../protocol/messages/module-messages';
import type { ModuleSource } from './module-loader';

/** How long the thread waits for code before it gives up on its master. */
const FETCH_WAIT_MS = 120_000;

/** The eval thread's end: a port and the flag the main thread raises when it has answered. */
export interface ModuleChannelEnd {
  port: MessagePort;
  flag: SharedArrayBuffer;
}

type Answer = { id: number } & ({ ok: true; modules: ModuleCode[] } | { ok: false; message: string });

/** A new channel: the main thread keeps `main`, and the thread is given `thread` (transferred). */
export function moduleChannel(): { main: ModuleChannelEnd; thread: ModuleChannelEnd } {
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  return { main: { port: port1, flag }, thread: { port: port2, flag } };
}

/** The main thread answers the thread's requests with `fetch`. */
export function serveModuleRequests(end: ModuleChannelEnd, fetch: (hashes: string[]) => Promise<ModuleCode[]>): void {
  const flag = new Int32Array(end.flag);
  end.port.on('message', ({ id, hashes }: { id: number; hashes: string[] }) => {
    const reply = (answer: Answer) => {
      end.port.postMessage(answer);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    };
    fetch(hashes).then(
      (modules) => reply({ id, ok: true, modules }),
      (err: Error) => reply({ id, ok: false, message: err.message }),
    );
  });
  // The thread's requests must not keep a finished worker alive.
  end.port.unref();
}

/** The thread's source of code: asks the main thread and waits for its answer. */
export function threadModuleSource(end: ModuleChannelEnd): ModuleSource {
  const flag = new Int32Array(end.flag);
  let last = 0;
  return {
    codes(hashes) {
      const id = ++last;
      Atomics.store(flag, 0, 0);
      end.port.postMessage({ id, hashes });
      if (Atomics.wait(flag, 0, 0, FETCH_WAIT_MS) === 'timed-out')
        throw crewError(ErrorCodes.ModuleFetchFailed, `no module code came from the master in ${FETCH_WAIT_MS} ms`);
      // An answer to an earlier request that timed out may come first: it is passed over.
      let answer: Answer | undefined;
      do answer = receiveMessageOnPort(end.port)?.message as Answer | undefined;
      while (answer && answer.id !== id);
      if (!answer) throw crewError(ErrorCodes.ModuleFetchFailed, 'the worker gave no answer for module code');
      if (!answer.ok) throw crewError(ErrorCodes.ModuleFetchFailed, answer.message);
      return answer.modules;
    },
  };
}
