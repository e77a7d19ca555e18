// The crew lsp processes a window's extension starts, seen from /proc: which one runs, whether it
// is in use (it has started its workers), and a way to hold one before it answers the editor.
// The crash-restart cases kill masters by these pids, as a crash would.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../helpers.mjs';
import { statusText } from './workbench.mjs';

/** Every process: its pid, its parent's and its command line (arguments joined by NULs). */
export function processes() {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        // `pid (comm) state ppid ...`: the name may hold spaces and parentheses.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return [{ pid: Number(p), ppid, cmd: readFileSync(`/proc/${p}/cmdline`, 'utf8') }];
      } catch {
        return []; // gone while listing
      }
    });
}

/** The masters of the window `win()` gives (its `dirs` and `page`). */
export function windowMasters(win) {
  /** Process ids of the crew lsp that this window started (a dead one, not yet reaped, has no command line). */
  function masterPids() {
    return processes()
      .filter((p) => p.cmd.includes(win().dirs.extensions) && p.cmd.includes('lsp\0--stdio'))
      .map((p) => p.pid);
  }

  /** The Crew processes this window's extension started, as `pid command line`. */
  function crewProcesses() {
    return processes()
      .filter((p) => p.cmd.includes(join(win().dirs.extensions, '')) && /dist\/cli\.js\0(lsp|worker)\0/.test(p.cmd))
      .map((p) => `${p.pid} ${p.cmd.split('\0').join(' ')}`);
  }

  /** Local worker processes started by the master `pid`. */
  function workersOf(pid) {
    return processes().filter((p) => p.ppid === pid && p.cmd.includes('\0worker\0'));
  }

  /** The one crew lsp of this window other than `skip`, once `ok(pid)` holds of it; fails saying what ran. */
  async function oneMaster(skip, ok, what, everyMs) {
    let seen = '';
    return until(
      async () => {
        const masters = masterPids().filter((p) => p !== skip);
        seen = masters.map((m) => `${m} with ${workersOf(m).length} workers`).join(', ') || 'none';
        return masters.length === 1 && (await ok(masters[0])) && masters[0];
      },
      { timeoutMs: 90_000, what, everyMs },
    ).catch(async (err) => {
      throw new Error(`${err.message} (crew lsp: ${seen}; status bar: "${await statusText(win().page)}")`);
    });
  }

  /**
   * The master in use: the one crew lsp (not `skip`, a master just killed), which answered the extension and was then
   * asked for its 2 workers, and the status bar shows them. The status bar alone is not enough: it may still show the
   * workers of a master that has just died.
   */
  const masterInUse = (skip) =>
    oneMaster(
      skip,
      async (pid) => workersOf(pid).length === 2 && /^Crew: 2 workers/.test(await statusText(win().page)),
      'a master in use',
      100,
    );

  /**
   * The crew lsp other than `skip`, as soon as it runs. On a busy machine this test may first
   * see it after it has answered the extension and started its workers (seen in CI: a restart
   * had its 2 workers within a second); it is then a master in use, whose death counts once too.
   */
  const newMaster = (skip) => oneMaster(skip, () => true, 'a new master', 5);

  /**
   * Stops the master `pid` (SIGSTOP) and waits until the extension has sent it `initialize`, which it now cannot
   * answer: killed then, it dies while the extension is starting it. The request is seen waiting in the master's stdin
   * (a socket: `ss` gives its receive queue). A master that read it before it was stopped (a fast machine) is not
   * waited on for long: its death is then one while starting, or one in use, and counts once just the same. True when
   * `initialize` was seen waiting.
   */
  async function heldAtInitialize(pid) {
    process.kill(pid, 'SIGSTOP');
    const stdin = new RegExp(`^\\S+\\s+\\S+\\s+(\\d+)\\s.*pid=${pid},fd=0\\)`, 'm');
    return until(() => Number(stdin.exec(execFileSync('ss', ['-xpnH'], { encoding: 'utf8' }))?.[1] ?? 0) > 0, {
      timeoutMs: 10_000,
      what: 'the extension to send `initialize` to the new master',
      everyMs: 20,
    }).catch(() => false);
  }

  return { masterPids, crewProcesses, masterInUse, newMaster, heldAtInitialize };
}
