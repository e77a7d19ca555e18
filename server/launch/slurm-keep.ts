/**
 * Slurm workers kept at N (`crew launch --slurm N --keep`): whenever an array task ends before
 * its master does (its job's time ran out, it was cancelled, its node failed), a replacement is
 * submitted. Slurm tells nobody when a task ends, so squeue is read every few seconds, and an
 * ended task's log (the worker's audit trail) says whether its master ended it.
 */
import { readFileSync } from 'node:fs';
import {
  jobEnvironment,
  listedTasks,
  slurmJobName,
  submitSlurmWorkers,
  type SlurmJob,
  type SlurmLaunchOptions,
} from './slurm-launch';

/** The worker's audit lines when its master ends the job (master-messages.ts), and when it reaches one. */
const MASTER_ENDED = /\ssession .*ending="the master ended its job/;
const REACHED_MASTER = /\sconnect master=/;
/** Tasks in a row that end without ever reaching the master, before replacing stops. */
const MAX_FAILED_IN_A_ROW = 3;

/** The job arrays of one `crew launch --slurm`, the first and its replacements. */
export interface SlurmFleet {
  readonly jobs: readonly SlurmJob[];
  /** False once the master has ended the job, or replacements keep failing to reach it. */
  readonly keeping: boolean;
  /**
   * Reads squeue once and, while keeping, submits a replacement for each task that ended
   * early. Returns how many tasks are left (listed, or just submitted); undefined when
   * squeue did not answer, which is never taken for "they all ended".
   */
  check(): Promise<number | undefined>;
  /** The fleet's array tasks that squeue lists, with their states; throws when squeue fails. */
  tasks(): Promise<{ id: string; state: string }[]>;
  /** Cancels every job of the fleet; no replacement is submitted after it. */
  stop(): Promise<void>;
}

/** Watches `first` and submits replacements with the same options when `keep` is set. */
export function slurmFleet(
  first: SlurmJob,
  opts: SlurmLaunchOptions,
  keep: boolean,
  onNotice: (text: string) => void,
): SlurmFleet {
  const jobs = [first];
  const ended = new Set<string>();
  const env = jobEnvironment(opts.env);
  let keeping = keep;
  let stopped = false;
  let failedInARow = 0;
  let checking: Promise<unknown> = Promise.resolve();

  const logOf = (id: string): string => {
    const [jobId, index] = id.split('_');
    const job = jobs.find((j) => j.jobId === jobId)!;
    try {
      return readFileSync(job.logFile(Number(index)), 'utf8');
    } catch {
      return '';
    }
  };

  const tasks = () =>
    listedTasks(
      slurmJobName(opts.member),
      jobs.map((j) => j.jobId),
      env,
    );

  const checkOnce = async (): Promise<number | undefined> => {
    let listed;
    try {
      listed = await tasks();
    } catch (err) {
      onNotice(`cannot read the queue this time: ${(err as Error).message}`);
      return undefined;
    }
    const live = new Set(listed.map((t) => t.id));
    const early: string[] = [];
    for (const id of jobs.flatMap((j) => j.taskIds)) {
      if (live.has(id) || ended.has(id)) continue;
      ended.add(id);
      const log = logOf(id);
      if (MASTER_ENDED.test(log)) {
        if (keeping) onNotice(`the master ended task ${id}: no more replacements`);
        keeping = false;
      } else {
        early.push(id);
        failedInARow = REACHED_MASTER.test(log) ? 0 : failedInARow + 1;
      }
    }
    if (!keeping || stopped || early.length === 0) return live.size;
    if (failedInARow >= MAX_FAILED_IN_A_ROW) {
      keeping = false;
      const [jobId, index] = early[early.length - 1]!.split('_');
      const log = jobs.find((j) => j.jobId === jobId)!.logFile(Number(index));
      onNotice(
        `${failedInARow} tasks in a row ended without reaching the master; not replacing any more ` +
          `(the last one's log: ${log})`,
      );
      return live.size;
    }
    const job = await submitSlurmWorkers({ ...opts, workers: early.length });
    if (stopped) {
      await job.stop();
      return 0;
    }
    jobs.push(job);
    onNotice(
      `task${early.length === 1 ? '' : 's'} ${early.join(', ')} ended before the master did: ` +
        `submitted job ${job.jobId} (${early.length} worker${early.length === 1 ? '' : 's'}) to replace ` +
        `${early.length === 1 ? 'it' : 'them'}`,
    );
    return live.size + early.length;
  };

  return {
    jobs,
    get keeping() {
      return keeping;
    },
    tasks,
    check() {
      const run = checking.then(checkOnce);
      checking = run.catch(() => undefined);
      return run;
    },
    async stop() {
      stopped = true;
      await checking;
      await Promise.all(jobs.map((j) => j.stop()));
    },
  };
}
