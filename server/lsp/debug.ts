/**
 * The debugger over LSP: forwards the pool's worker suspensions to editors that debug, and
 * their questions and restarts back to the workers, through the master's own connections.
 * Whether workers suspend at all, and what happens when the last such editor leaves, is the
 * master's `DebugModeService` (debug-mode.ts).
 */
import type { Connection } from 'vscode-languageserver';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { DebugValue } from '../../protocol/messages/debug-messages';
import {
  DebugAttach,
  DebugEvaluate,
  DebugList,
  DebugPaused,
  DebugProperties,
  DebugRestartRequest,
  DebugResumed,
  SetDebugOnError,
  type SuspensionInfo,
} from '../../protocol/messages/lsp-debug-messages';
import { cdpAddress } from '../debug/cdp-proxy';
import type { Suspension } from '../debug/debug-broker';
import type { WorkerPool } from '../pool/pool';
import type { LspMaster } from './lsp-master';

function info(s: Suspension): SuspensionInfo {
  return { id: s.id, worker: s.worker, condition: s.condition, frames: s.frames };
}

function livePool(master: LspMaster): WorkerPool {
  const pool = master.pool;
  if (!pool) throw crewError(ErrorCodes.DebugStale, 'no pool is running, so nothing is suspended');
  return pool;
}

export function serveDebug(
  connection: Connection,
  master: LspMaster,
  notify: (send: () => Promise<void>) => void,
  answer: <T>(run: () => Promise<T> | T) => Promise<T>,
): { dispose(): void } {
  const mode = master.debugMode;
  const hearing = mode.onSuspension((event) => {
    if (!mode.debugs(connection)) return;
    if (event.kind === 'paused') notify(() => connection.sendNotification(DebugPaused.type, info(event.suspension)));
    else notify(() => connection.sendNotification(DebugResumed.type, { id: event.id, how: event.how }));
  });

  connection.onRequest(SetDebugOnError.type, (p) =>
    answer(() => {
      if (typeof p?.on !== 'boolean')
        throw crewError(ErrorCodes.BadArgument, `${SetDebugOnError.method} needs { on: boolean }`);
      mode.set(connection, p.on, typeof p.graceMs === 'number' && p.graceMs >= 0 ? p.graceMs : undefined);
    }),
  );
  connection.onRequest(DebugList.type, () => answer(() => (master.pool ? master.pool.debug.list().map(info) : [])));
  connection.onRequest(DebugProperties.type, (p) =>
    answer(async () => {
      if (typeof p?.suspension !== 'string' || typeof p.objectId !== 'string')
        throw crewError(ErrorCodes.BadArgument, `${DebugProperties.method} needs { suspension, objectId }`);
      const a = await livePool(master).debug.request(p.suspension, { op: 'properties', objectId: p.objectId });
      return 'values' in a ? a.values : [];
    }),
  );
  connection.onRequest(DebugEvaluate.type, (p) =>
    answer(async () => {
      if (typeof p?.suspension !== 'string' || typeof p.expression !== 'string' || !Number.isInteger(p.frame))
        throw crewError(ErrorCodes.BadArgument, `${DebugEvaluate.method} needs { suspension, frame, expression }`);
      const a = await livePool(master).debug.request(p.suspension, {
        op: 'evaluate',
        frame: p.frame,
        expression: p.expression,
      });
      return 'value' in a
        ? a.value
        : ({ name: p.expression, type: 'undefined', value: 'undefined' } satisfies DebugValue);
    }),
  );
  connection.onRequest(DebugRestartRequest.type, (p) =>
    answer(async () => {
      const kinds = ['abort', 'retry', 'retryElsewhere', 'return', 'continue'];
      if (typeof p?.suspension !== 'string' || !kinds.includes(p.restart?.kind))
        throw crewError(
          ErrorCodes.BadArgument,
          `${DebugRestartRequest.method} needs { suspension, restart: { kind: ${kinds.join(' | ')} } }`,
        );
      if (p.restart.kind === 'return' && typeof p.restart.expression !== 'string')
        throw crewError(ErrorCodes.BadArgument, 'a return restart needs an expression');
      const a = await livePool(master).debug.request(p.suspension, {
        op: 'restart',
        restart: p.restart,
        frame: p.frame,
      });
      return { how: 'restarted' in a ? a.restarted : 'done' };
    }),
  );

  connection.onRequest(DebugAttach.type, (p) =>
    answer(async () => {
      if (typeof p?.worker !== 'string')
        throw crewError(ErrorCodes.BadArgument, `${DebugAttach.method} needs { worker }`);
      return { websocketAddress: await cdpAddress(livePool(master), p.worker) };
    }),
  );

  return {
    dispose() {
      hearing.dispose();
      mode.leave(connection);
    },
  };
}
