/**
 * The debugger over LSP: forwards the pool's worker suspensions to editors that debug, and
 * their questions and restarts back to the workers, through the master's own connections.
 * When the last such editor leaves, open suspensions are aborted after a grace period, so
 * nothing waits forever.
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
import type { LspMaster, SessionDebugState as DebugState } from './lsp-master';

/** Follows the master's current pool, which changes when the editor restarts the master. */
function follow(master: LspMaster, st: DebugState): WorkerPool | undefined {
  const pool = master.pool;
  if (pool && pool !== st.pool) {
    st.pool = pool;
    pool.debug.on('paused', (s: Suspension) => st.listeners.forEach((l) => l('paused', info(s))));
    pool.debug.on('resumed', (id, how) => st.listeners.forEach((l) => l('resumed', { id, how })));
  }
  pool?.setDebugOnError(st.editors.size > 0);
  return pool;
}

function info(s: Suspension): SuspensionInfo {
  return { id: s.id, worker: s.worker, condition: s.condition, frames: s.frames };
}

function livePool(master: LspMaster, st: DebugState): WorkerPool {
  const pool = follow(master, st);
  if (!pool) throw crewError(ErrorCodes.DebugStale, 'no pool is running, so nothing is suspended');
  return pool;
}

export function serveDebug(
  connection: Connection,
  master: LspMaster,
  notify: (send: () => Promise<void>) => void,
  answer: <T>(run: () => Promise<T> | T) => Promise<T>,
): { dispose(): void } {
  const st = master.debugState;
  const listener = (kind: 'paused' | 'resumed', payload: unknown) => {
    if (!st.editors.has(connection)) return;
    if (kind === 'paused') notify(() => connection.sendNotification(DebugPaused.type, payload as SuspensionInfo));
    else notify(() => connection.sendNotification(DebugResumed.type, payload as { id: string; how: string }));
  };
  st.listeners.add(listener);
  const onWorkers = () => void follow(master, st);
  master.on('workers', onWorkers);

  connection.onRequest(SetDebugOnError.type, (p) =>
    answer(() => {
      if (typeof p?.on !== 'boolean')
        throw crewError(ErrorCodes.BadArgument, `${SetDebugOnError.method} needs { on: boolean }`);
      if (p.on) st.editors.add(connection);
      else st.editors.delete(connection);
      if (typeof p.graceMs === 'number' && p.graceMs >= 0) st.graceMs = p.graceMs;
      if (st.graceTimer && st.editors.size > 0) clearTimeout(st.graceTimer);
      follow(master, st);
    }),
  );
  connection.onRequest(DebugList.type, () => answer(() => (master.pool ? master.pool.debug.list().map(info) : [])));
  connection.onRequest(DebugProperties.type, (p) =>
    answer(async () => {
      if (typeof p?.suspension !== 'string' || typeof p.objectId !== 'string')
        throw crewError(ErrorCodes.BadArgument, `${DebugProperties.method} needs { suspension, objectId }`);
      const a = await livePool(master, st).debug.request(p.suspension, { op: 'properties', objectId: p.objectId });
      return 'values' in a ? a.values : [];
    }),
  );
  connection.onRequest(DebugEvaluate.type, (p) =>
    answer(async () => {
      if (typeof p?.suspension !== 'string' || typeof p.expression !== 'string' || !Number.isInteger(p.frame))
        throw crewError(ErrorCodes.BadArgument, `${DebugEvaluate.method} needs { suspension, frame, expression }`);
      const a = await livePool(master, st).debug.request(p.suspension, {
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
      const a = await livePool(master, st).debug.request(p.suspension, {
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
      return { websocketAddress: await cdpAddress(livePool(master, st), p.worker) };
    }),
  );

  return {
    dispose() {
      st.listeners.delete(listener);
      master.off('workers', onWorkers);
      const wasDebugging = st.editors.delete(connection);
      if (!wasDebugging || st.editors.size > 0) return;
      // The last debugging editor left: give it time to come back, then let nothing hang.
      st.graceTimer = setTimeout(() => {
        const pool = master.pool;
        if (!pool || st.editors.size > 0) return;
        pool.setDebugOnError(false);
        for (const s of pool.debug.list())
          void pool.debug.request(s.id, { op: 'restart', restart: { kind: 'abort' } }).catch(() => undefined);
      }, st.graceMs);
      st.graceTimer.unref();
    },
  };
}
