/**
 * One editor's LSP connection to the master: the `crew/...` request handlers, and the
 * master's events forwarded as notifications.
 */
import { createConnection, type CancellationToken, type Connection, type WatchDog } from 'vscode-languageserver';
import { createProtocolConnection, type MessageReader, type MessageWriter } from 'vscode-languageserver/node';
import {
  ConnectWorkers,
  DisconnectWorkers,
  EvalAllWorkers,
  EvalMaster,
  EvalOn,
  Interrupt,
  ListWorkers,
  Output,
  Progress,
  TaskProgress,
  WorkersChanged,
  type OutputParams,
  type ProgressParams,
  type TaskProgressParams,
  type WorkersState,
} from '../../protocol/messages/lsp-messages';
import { serveCluster } from './cluster';
import { serveDebug } from './debug';
import { evalAll, evalMaster, evalOn } from './evaluate';
import { serveImage } from './image';
import { serveInspect } from './inspect';
import { serveProfile } from './profile';
import { serveTrace } from './trace';
import { connectParams, evalAllParams, evalOnParams, evalParams, interruptParams, toResponseError } from './params';
import type { LspMaster } from './lsp-master';

export interface ConnectionOptions {
  /** Called on the LSP `exit` notification, with LSP's exit code (0 after `shutdown`). */
  onExit(code: number): void;
  /** Leave when the editor's process (from `initialize`) is gone; only for a child of the editor. */
  watchEditorProcess: boolean;
}

/** Answers with the handler's result, or with a `ResponseError` that keeps Crew's code. */
export async function answer<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toResponseError(err);
  }
}

/**
 * Sends a notification; one to an editor that has gone away must not crash the master. A
 * connection that has closed, and is not yet disposed, throws at once rather than rejecting.
 */
export function notify(send: () => Promise<void>): void {
  try {
    void send().catch(() => undefined);
  } catch {
    /* the editor has gone: it hears nothing more */
  }
}

/**
 * Serves one editor. More `crew/...` features (such as the debugger) register their
 * handlers on the returned connection, using {@link answer} and {@link notify}.
 */
export function serveConnection(
  master: LspMaster,
  reader: MessageReader,
  writer: MessageWriter,
  opts: ConnectionOptions,
): { connection: Connection; dispose(): void } {
  let parentWatch: NodeJS.Timeout | undefined;
  const watchDog: WatchDog = {
    shutdownReceived: false,
    initialize(params) {
      if (!opts.watchEditorProcess || typeof params.processId !== 'number') return;
      const pid = params.processId;
      parentWatch = setInterval(() => {
        try {
          process.kill(pid, 0);
        } catch {
          opts.onExit(1);
        }
      }, 3000);
      parentWatch.unref();
    },
    exit(code) {
      if (parentWatch) clearInterval(parentWatch);
      opts.onExit(code);
    },
  };
  const connection = createConnection((logger) => createProtocolConnection(reader, writer, logger), watchDog);

  connection.onInitialize(() => ({ capabilities: {}, serverInfo: { name: 'crew' } }));
  const sendProgress = (p: ProgressParams) => notify(() => connection.sendNotification(Progress.type, p));
  const sendTasks = (p: TaskProgressParams) => notify(() => connection.sendNotification(TaskProgress.type, p));
  const sinks = { progress: sendProgress, tasks: sendTasks };

  connection.onRequest(EvalMaster.type, (p, token: CancellationToken) =>
    answer(() => evalMaster(master, evalParams(EvalMaster.method, p), token, sendTasks)),
  );
  connection.onRequest(EvalAllWorkers.type, (p, token) =>
    answer(() => evalAll(master, evalAllParams(EvalAllWorkers.method, p), token, sinks)),
  );
  connection.onRequest(EvalOn.type, (p, token) =>
    answer(() => evalOn(master, evalOnParams(EvalOn.method, p), token, sinks)),
  );
  connection.onRequest(ConnectWorkers.type, (p) =>
    answer(() => master.connect(connectParams(ConnectWorkers.method, p))),
  );
  connection.onRequest(DisconnectWorkers.type, () => answer(() => master.disconnect()));
  connection.onRequest(ListWorkers.type, () => answer(() => master.state()));
  connection.onRequest(Interrupt.type, (p) =>
    answer(() => ({ interrupted: master.interrupt(interruptParams(Interrupt.method, p).worker) })),
  );

  const onWorkers = (s: WorkersState) => notify(() => connection.sendNotification(WorkersChanged.type, s));
  const onOutput = (o: OutputParams) => notify(() => connection.sendNotification(Output.type, o));
  master.on('workers', onWorkers);
  master.on('output', onOutput);
  const debug = serveDebug(connection, master, notify, answer);
  const cluster = serveCluster(connection, master, notify);
  const image = serveImage(connection, master, answer);
  const inspect = serveInspect(connection, master, answer);
  serveProfile(connection, master, answer);
  const trace = serveTrace(connection, master, answer, notify);
  connection.listen();
  return {
    connection,
    dispose() {
      if (parentWatch) clearInterval(parentWatch);
      master.off('workers', onWorkers);
      master.off('output', onOutput);
      debug.dispose();
      cluster.dispose();
      image.dispose();
      inspect.dispose();
      trace.dispose();
      connection.dispose();
    },
  };
}
