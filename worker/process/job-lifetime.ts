/**
 * When a worker's batch job ends, so that it leaves a margin before the batch system kills
 * it: it stops taking tasks, hands back those it has not started, finishes the one running
 * and closes its link cleanly, so that no task is lost, run twice or blamed for its end.
 *
 * Slurm 22.05 sets no end time in a job's environment (`SLURM_JOB_END_TIME` is read where a
 * Slurm sets it); `squeue -h -j $SLURM_JOB_ID -o %e` gives it, in the local time both ends use.
 */
import { execFile } from 'node:child_process';
import type { Audit } from '../../protocol/audit';

/** How long the worker may live, and how long before its end it leaves. */
export interface LifetimeOptions {
  /** The job ends this many seconds after the worker starts, whatever Slurm says (for tests). */
  lifetimeS?: number;
  /** Seconds before the job's end at which the worker leaves (default 60). */
  marginS?: number;
}

/** When the job ends, and what it is, for the worker's words about leaving. */
export interface JobEnd {
  /** Milliseconds since the epoch. */
  at: number;
  /** `its Slurm job 12`, or `its lifetime (--lifetime 20)`. */
  what: string;
  /** Asks again: an administrator may have changed the job's time limit. */
  refresh?: () => Promise<JobEnd | undefined>;
}

export const DEFAULT_LIFETIME_MARGIN_S = 60;
/** Timers hold at most this many milliseconds (about 24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Parses `squeue -o %e`: a local time such as `2026-12-02T00:52:12`, or NONE/Unknown/N/A for no end. */
export function parseSlurmTime(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(t)) return undefined;
  // A date and time without an offset is local time, as squeue prints it.
  const ms = new Date(t).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

function squeueEnd(jobId: string, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    execFile('squeue', ['-h', '-j', jobId, '-o', '%e'], { env, encoding: 'utf8', timeout: 30_000 }, (err, out, e) => {
      if (err) reject(new Error(`squeue failed: ${e.trim() || err.message}`));
      else resolve(parseSlurmTime(out.split('\n')[0] ?? ''));
    });
  });
}

/** When this worker's job ends: `--lifetime`, else its Slurm job's end; undefined when it has none. */
export async function jobEnd(
  opts: LifetimeOptions,
  env: NodeJS.ProcessEnv = process.env,
  now = Date.now(),
): Promise<JobEnd | undefined> {
  if (opts.lifetimeS !== undefined)
    return { at: now + opts.lifetimeS * 1000, what: `its lifetime (--lifetime ${opts.lifetimeS})` };
  const jobId = env.SLURM_JOB_ID;
  if (!jobId) return undefined;
  const what = `its Slurm job ${jobId}`;
  const fromEnv = Number(env.SLURM_JOB_END_TIME);
  const at = fromEnv > 0 ? fromEnv * 1000 : await squeueEnd(jobId, env);
  if (at === undefined) return undefined;
  const refresh = async () => {
    const again = await squeueEnd(jobId, env).catch(() => at);
    return again === undefined ? undefined : { at: again, what, refresh };
  };
  return { at, what, refresh };
}

/**
 * Calls `leave` `marginS` before the job ends (at once when that is already past), with the
 * reason in words and the moment by which the link must be closed. Returns a cancel function.
 */
export function planLeave(
  end: JobEnd,
  marginS: number,
  audit: Audit,
  leave: (reason: string, deadline: number) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = (e: JobEnd) => {
    const leaveAt = e.at - marginS * 1000;
    audit.log('state', {
      lifetime: `${e.what} ends at ${new Date(e.at).toISOString()}`,
      leavesAt: new Date(leaveAt).toISOString(),
    });
    const wait = leaveAt - Date.now();
    const fire = async () => {
      if (cancelled) return;
      if (leaveAt - Date.now() > 1000) return arm(e);
      const later = e.refresh ? await e.refresh() : e;
      // The job no longer has an end, or was given more time.
      if (cancelled || later === undefined) return;
      if (later.at > e.at + 1000) return arm(later);
      const left = Math.round((e.at - Date.now()) / 1000);
      // The task running may use most of the margin; the link closes a little before the end.
      const deadline = e.at - Math.min(5000, (marginS * 1000) / 2);
      leave(`${e.what} ends at ${new Date(e.at).toISOString()} (in ${left} s)`, deadline);
    };
    timer = setTimeout(() => void fire(), Math.max(0, Math.min(wait, MAX_TIMER_MS)));
    timer.unref();
  };
  arm(end);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
