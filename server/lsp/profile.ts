/**
 * The `crew/profileWorkers` and `crew/heapSnapshot` requests: profiles of the running pool's
 * workers, sent back whole for the editor to write and open.
 */
import type { Connection } from 'vscode-languageserver';
import { crewError, ErrorCodes } from '../../protocol/errors';
import {
  HeapSnapshot,
  ProfileWorkers,
  ProfileWorkersStop,
  type HeapSnapshotResult,
  type ProfileWorkersResult,
} from '../../protocol/messages/lsp-profile-messages';
import { profileWorkers, snapshotText } from '../api/profile';
import { mergeProfiles } from '../api/profile-merge';
import type { WorkerPool } from '../pool/pool';
import type { LspMaster } from './lsp-master';

type Answer = <T>(run: () => Promise<T> | T) => Promise<T>;

export function serveProfile(connection: Connection, master: LspMaster, answer: Answer): void {
  const pool = (): WorkerPool => {
    if (!master.pool) throw crewError(ErrorCodes.NoWorkers, 'no pool is running: start the master first');
    return master.pool;
  };
  /** This editor's profiles being taken, each with what stops it. */
  const running = new Set<AbortController>();
  connection.onRequest(ProfileWorkers.type, (p) =>
    answer(async (): Promise<ProfileWorkersResult> => {
      const params = (p ?? {}) as { ms?: unknown; workers?: unknown };
      const stop = new AbortController();
      running.add(stop);
      try {
        const profiles = await profileWorkers(pool(), {
          ms: params.ms as number,
          workers: params.workers as string[] | undefined,
          signal: stop.signal,
        });
        return { profiles, merged: mergeProfiles(profiles) };
      } finally {
        running.delete(stop);
      }
    }),
  );
  connection.onRequest(ProfileWorkersStop.type, () =>
    answer(() => {
      const stopped = running.size > 0;
      for (const stop of running) stop.abort();
      return { stopped };
    }),
  );
  connection.onRequest(HeapSnapshot.type, (p) =>
    answer(async (): Promise<HeapSnapshotResult> => {
      const worker = (p as { worker?: unknown } | undefined)?.worker;
      if (typeof worker !== 'string')
        throw crewError(ErrorCodes.BadArgument, `${HeapSnapshot.method}: worker must be a worker id such as "w1"`);
      return { worker, snapshot: await snapshotText(pool(), worker) };
    }),
  );
}
