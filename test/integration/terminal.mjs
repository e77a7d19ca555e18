// A real terminal for tests of the REPL: tmux runs the command in a pane of its own (on a
// private server, so nothing of the user's tmux is touched), keys are typed into it, and the
// test reads the screen as a person sees it (`capture-pane`): what stays drawn, not only the
// bytes that were written, so a prompt drawn and then erased is no prompt.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';

/** Why a terminal test cannot run here, or false. scripts/reliability-deps.sh installs tmux. */
export const noTmux = spawnSync('sh', ['-c', 'command -v tmux']).status !== 0 ? 'tmux is missing' : false;

let terminals = 0;

/** Runs `command` in a fresh terminal of `columns` x `rows`, with `env` added to this process's. */
export function startTerminal(command, { env = {}, columns = 120, rows = 40 } = {}) {
  const socket = `crew-test-${process.pid}-${++terminals}`;
  const tmux = (...args) => {
    const r = spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  // `exec`: the pane's process is the command itself, so its pid is the one to wait for.
  tmux('new-session', '-d', '-s', 'crew', '-x', String(columns), '-y', String(rows), `exec ${command}`);
  const [pid, socketPath] = tmux('display-message', '-p', '-t', 'crew', '#{pane_pid} #{socket_path}').trim().split(' ');
  const alive = () => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch {
      return false;
    }
  };
  let last = '';
  const term = {
    pid: Number(pid),
    /** The screen and its scrollback, wrapped lines joined, trailing blanks dropped. */
    screen() {
      if (!alive()) return last;
      try {
        last = tmux('capture-pane', '-p', '-J', '-t', 'crew', '-S', '-')
          .split('\n')
          .map((l) => l.trimEnd())
          .join('\n')
          .trimEnd();
      } catch {
        /* the pane has just closed: the last screen read stays */
      }
      return last;
    },
    /** Types `text` as keys, then Enter. */
    type(text) {
      tmux('send-keys', '-t', 'crew', '-l', text);
      tmux('send-keys', '-t', 'crew', 'Enter');
    },
    /** Presses keys by tmux's names (`C-c`). */
    press(...keys) {
      tmux('send-keys', '-t', 'crew', ...keys);
    },
    /** Waits until the screen matches `pattern` (a RegExp or a predicate), and returns it. */
    async waitFor(pattern, what, timeoutMs) {
      const test = typeof pattern === 'function' ? pattern : (s) => pattern.test(s);
      let seen = '';
      await until(() => test((seen = term.screen())), { what, timeoutMs });
      return seen;
    },
    /** Waits for the command to end. */
    async exited(timeoutMs) {
      await until(() => !alive(), { what: `process ${pid} to exit`, timeoutMs });
    },
    /** Ends the terminal: tmux's server, and the command with it (tmux hangs it up), waited for. */
    async stop(timeoutMs) {
      try {
        tmux('kill-server');
      } catch {
        /* the command ended and its server with it */
      }
      if (alive()) await term.exited(timeoutMs);
      rmSync(socketPath, { force: true });
    },
  };
  return term;
}

/** Runs \`body\`; a failure says what the terminal showed, and the terminal is stopped either way. */
export async function showingScreen(term, body) {
  try {
    await body();
  } catch (err) {
    throw new Error(`${err.message}; the terminal shows:\n${term.screen()}`, { cause: err });
  } finally {
    await term.stop(scaled(20_000));
  }
}
