/**
 * Seeing where a pool's time and memory go: CPU profiles of the workers' eval threads, and a
 * heap snapshot of one, taken on the workers (worker/debug/profiler.ts) while they run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { crewError, ErrorCodes } from '../../protocol/errors';
import { MAX_PROFILE_MS, type CpuProfile } from '../../protocol/messages/profile-messages';
import type { WorkerPool } from '../pool/pool';
import { findWorker, type WorkerRef } from '../pool/worker-ref';
import type { WorkerLink } from '../pool/worker-link';
import { mergeProfiles } from './profile-merge';
import { askProfile } from './profile-requests';

export type { CpuProfile, ProfileNode } from '../../protocol/messages/profile-messages';

/** What {@link profileWorkers} profiles, and for how long. */
export interface ProfileOptions {
  /** How long to sample, in milliseconds (1 to 600,000). */
  ms: number;
  /** The workers to profile (ids or entries of `pool.workers`); every ready worker when absent. */
  workers?: readonly WorkerRef[];
  /** V8's sampling interval in microseconds; V8's default (about 1 ms) when absent. */
  intervalUs?: number;
  /** Ends the profiles early, when it aborts: each comes back with what it has so far. */
  signal?: AbortSignal;
}

/**
 * Takes a V8 CPU profile of each worker's eval thread over `ms`, all at once, while they run
 * whatever they run (a long map included, and with a debugger attached).
 *
 * Each profile is in the `.cpuprofile` format that DevTools and VS Code open. Frames of the
 * user's forms and modules are at the user's own files, lines and columns (through their
 * source maps, TypeScript included) and marked `crew: 'user'`; Crew's own frames are marked
 * `crew: 'runtime'`, so a viewer can hide them.
 *
 * To profile until something happens, give a long `ms` and a `signal` to abort then.
 *
 * ```ts
 * const profiles = await profileWorkers(pool, { ms: 2000 });
 * await writeFile('w1.cpuprofile', JSON.stringify(profiles.w1));
 * ```
 *
 * @returns the profiles by worker id.
 * @throws CREW_BAD_ARGUMENT for a bad `ms`, CREW_UNKNOWN_WORKER for a worker not in the pool,
 *   CREW_NO_WORKERS when there is none to profile, CREW_PROFILE_BUSY when a worker is already
 *   being profiled, CREW_WORKER_LOST when one leaves before its profile is done.
 */
export async function profileWorkers(pool: WorkerPool, opts: ProfileOptions): Promise<Record<string, CpuProfile>> {
  const { ms, intervalUs } = checkOptions(opts);
  const links = chosenLinks(pool, opts.workers);
  const texts = await Promise.all(links.map((link) => askProfile(link, { kind: 'cpu', ms, intervalUs }, opts.signal)));
  const profiles: Record<string, CpuProfile> = {};
  links.forEach((link, i) => (profiles[link.id] = JSON.parse(texts[i]) as CpuProfile));
  return profiles;
}

/** Where {@link heapSnapshot} writes. */
export interface HeapSnapshotOptions {
  /** The file to write; `crew-<worker>-<time>.heapsnapshot` in the current directory when absent. */
  file?: string;
}

/**
 * Writes a heap snapshot of `worker`'s eval thread as a `.heapsnapshot` file, which DevTools'
 * Memory panel and VS Code open. The thread stops while V8 writes it (a second or so for a
 * small heap), whatever it runs.
 *
 * @returns the absolute path of the file written.
 * @throws CREW_UNKNOWN_WORKER, CREW_PROFILE_BUSY, CREW_WORKER_LOST, CREW_PROFILE_FAILED.
 */
export async function heapSnapshot(
  pool: WorkerPool,
  worker: WorkerRef,
  opts: HeapSnapshotOptions = {},
): Promise<string> {
  const link = findWorker<WorkerLink>(pool, worker);
  const file = resolve(opts.file ?? join(process.cwd(), `crew-${link.id}-${stamp()}.heapsnapshot`));
  await writeFile(file, await askProfile(link, { kind: 'heap' }));
  return file;
}

/** A heap snapshot of `worker`'s eval thread, as the text of a `.heapsnapshot` file. */
export function snapshotText(pool: WorkerPool, worker: WorkerRef): Promise<string> {
  return askProfile(findWorker<WorkerLink>(pool, worker), { kind: 'heap' });
}

/** A time for file names: `20261205-131502`. */
export function stamp(at = new Date()): string {
  return at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function checkOptions(opts: ProfileOptions): { ms: number; intervalUs?: number } {
  if (typeof opts !== 'object' || opts === null)
    throw crewError(ErrorCodes.BadArgument, 'profileWorkers needs options: { ms, workers?, intervalUs? }');
  const { ms, intervalUs } = opts;
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_PROFILE_MS)
    throw crewError(
      ErrorCodes.BadArgument,
      `ms must be a whole number of milliseconds from 1 to ${MAX_PROFILE_MS}, not ${String(ms)}`,
    );
  if (intervalUs !== undefined && (!Number.isInteger(intervalUs) || intervalUs < 1))
    throw crewError(
      ErrorCodes.BadArgument,
      `intervalUs must be a whole number of microseconds, not ${String(intervalUs)}`,
    );
  return { ms, intervalUs };
}

function chosenLinks(pool: WorkerPool, workers: readonly WorkerRef[] | undefined): WorkerLink[] {
  if (workers !== undefined && !Array.isArray(workers))
    throw crewError(ErrorCodes.BadArgument, 'workers must be an array of worker ids or entries of pool.workers');
  const links = workers ? [...new Set(workers.map((w) => findWorker<WorkerLink>(pool, w)))] : [...pool.readyLinks()];
  if (links.length === 0)
    throw crewError(ErrorCodes.NoWorkers, 'there is no worker to profile: the pool has none ready');
  return links;
}

/** Where {@link writeProfiles} put the profiles. */
export interface ProfileFiles {
  /** One `.cpuprofile` per worker, by worker id. */
  workers: Record<string, string>;
  /** One `.cpuprofile` across the workers: a node per worker under the root. */
  merged: string;
}

/**
 * Writes each profile to `<dir>/crew-<worker>-<time>.cpuprofile`, and one merged across the
 * workers to `<dir>/crew-workers-<time>.cpuprofile`.
 *
 * @returns the absolute paths written.
 */
export async function writeProfiles(
  profiles: Readonly<Record<string, CpuProfile>>,
  dir: string,
): Promise<ProfileFiles> {
  const when = stamp();
  const workers: Record<string, string> = {};
  await mkdir(dir, { recursive: true });
  for (const [id, profile] of Object.entries(profiles)) {
    workers[id] = resolve(dir, `crew-${id}-${when}.cpuprofile`);
    await writeFile(workers[id], JSON.stringify(profile));
  }
  const merged = resolve(dir, `crew-workers-${when}.cpuprofile`);
  await writeFile(merged, JSON.stringify(mergeProfiles(profiles)));
  return { workers, merged };
}
