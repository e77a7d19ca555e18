/**
 * The REPL's `.profile [ms]`: profiles every worker, writes the files into the current
 * directory and says where, or why not.
 */
import type { WorkerPool } from '../pool/pool';
import { profileWorkers, writeProfiles } from './profile';

/** The REPL's default profile length. */
const DEFAULT_MS = 2000;

/** Runs `.profile` with the text typed after it; resolves with what to print. */
export async function profileAtPrompt(pool: WorkerPool, arg: string, dir = process.cwd()): Promise<string> {
  const typed = arg.trim();
  const ms = typed === '' ? DEFAULT_MS : Number(typed);
  if (!Number.isInteger(ms) || ms < 1) return `usage: .profile [ms], with ms a whole number of milliseconds\n`;
  try {
    const files = await writeProfiles(await profileWorkers(pool, { ms }), dir);
    const lines = Object.entries(files.workers).map(([id, file]) => `  ${id}: ${file}\n`);
    const workers = `${lines.length} worker${lines.length === 1 ? '' : 's'}`;
    return `profiled ${workers} for ${ms} ms:\n${lines.join('')}  all: ${files.merged}\n`;
  } catch (err) {
    const e = err as { code?: string; message: string };
    return `no profile: ${e.code ? `${e.code}: ` : ''}${e.message}\n`;
  }
}
