/**
 * The cluster view over LSP: an editor that asks to watch gets the last minute of samples,
 * then one `crew/clusterSample` a second until it stops watching or goes away.
 */
import type { Connection } from 'vscode-languageserver';
import {
  ClusterSampleNote,
  WatchCluster,
  type ClusterSample,
  type WatchClusterParams,
} from '../../protocol/messages/lsp-cluster-messages';
import { LspErrorCodes } from '../../protocol/messages/lsp-messages';
import { ErrorCodes } from '../../protocol/errors';
import { ResponseError } from 'vscode-languageserver';
import type { LspMaster } from './lsp-master';

function watchParams(raw: unknown): WatchClusterParams {
  const watch = (raw as { watch?: unknown } | null)?.watch;
  if (typeof raw !== 'object' || raw === null || typeof watch !== 'boolean')
    throw new ResponseError(
      LspErrorCodes.InvalidParams,
      `${WatchCluster.method}: "watch" must be true or false, got ${
        typeof raw === 'object' && raw !== null ? JSON.stringify(watch) : String(raw)
      }`,
      { code: ErrorCodes.BadArgument },
    );
  return { watch };
}

/** Registers the cluster requests on one editor's connection; the returned function ends its watch. */
export function serveCluster(
  connection: Connection,
  master: LspMaster,
  notify: (send: () => Promise<void>) => void,
): { dispose(): void } {
  let watching = false;
  const forward = (s: ClusterSample) => notify(() => connection.sendNotification(ClusterSampleNote.type, s));
  const stop = () => {
    if (!watching) return;
    watching = false;
    master.cluster.off('sample', forward);
    master.cluster.unwatch();
  };
  connection.onRequest(WatchCluster.type, (raw) => {
    const { watch } = watchParams(raw);
    if (!watch) {
      stop();
      return master.cluster.history();
    }
    if (watching) return master.cluster.history();
    watching = true;
    master.cluster.on('sample', forward);
    return master.cluster.watch();
  });
  return { dispose: stop };
}
