// One real VS Code window for an end-to-end file: the packaged extension installed in a fresh
// profile, code-server serving a workspace, and headless chromium on it; with the steps every
// file takes (starting the master from the palette, opening a file, finding the Crew Debugger)
// and the end that leaves nothing running.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, prepare, results, root, runCommand, startCodeServer, tools } from './code-server.mjs';
import { until } from '../helpers.mjs';

/** Packages the extension, opens `files` in a new window with `settings`, and waits for the workbench. */
export async function openWorkbench({ files, settings = {}, viewport = { width: 1400, height: 900 } }) {
  mkdirSync(results, { recursive: true });
  const { chromium } = tools();
  const vsix = execFileSync(process.execPath, [join(root, 'scripts', 'package-extension.mjs')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  const dirs = prepare(vsix, files, settings);
  const server = await startCodeServer(dirs);
  const browser = await launchBrowser(chromium);
  const page = await browser.newPage({ viewport });
  await page.goto(server.url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  return { dirs, server, browser, page };
}

/**
 * Closes the window and code-server, then ends by pid whatever of this window's Crew is left
 * (a failed case may leave workers). The profile goes too, unless CREW_E2E_KEEP=1.
 */
export async function closeWorkbench(w) {
  if (!w) return;
  await w.browser?.close().catch(() => {});
  await w.server.stop();
  for (const pid of crewPids(w.dirs)) process.kill(pid, 'SIGKILL');
  if (!process.env.CREW_E2E_KEEP) rmSync(w.dirs.base, { recursive: true, force: true });
}

/** Pids of this window's Crew processes: its crew lsp and the workers that started. */
export function crewPids(dirs) {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dirs.extensions);
      } catch {
        return false; // gone while listing
      }
    })
    .map(Number);
}

/**
 * Crew: Start Master from the palette, and its 2 local workers in the status bar. While the
 * window is still starting the palette may not list the command yet: it is tried again.
 */
export async function startMasterFromPalette(page) {
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand(page, 'Crew: Start Master');
      break;
    } catch (err) {
      if (attempt === 4) throw err;
      await page.keyboard.press('Escape');
      // A pause between attempts while the window settles; each attempt waits for the palette row.
      await page.waitForTimeout(3000);
    }
  }
  await page
    .locator('.statusbar-item', { hasText: /Crew: 2 workers/ })
    .first()
    .waitFor({ timeout: 60_000 });
}

/** Opens a workspace file with Quick Open, as a user does, and puts the cursor in it. */
export async function openFile(page, name, firstLine) {
  await page.keyboard.press('Control+p');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-lines', { hasText: firstLine }).waitFor({ timeout: 30_000 });
  await page.locator('.monaco-editor .view-line', { hasText: firstLine }).first().click();
}

/** The status bar's Crew item, as shown. */
export async function statusText(page) {
  return (await page.locator('.statusbar-item', { hasText: 'Crew' }).first().textContent())?.trim() ?? '';
}

/** The webview frame that holds the Crew Debugger's page, once it shows a suspension. */
export async function debuggerFrame(page, timeoutMs = 60_000) {
  const frame = async () => {
    for (const f of page.frames()) {
      try {
        if (await f.locator('.crew-entry').count()) return f;
      } catch {
        /* a frame that went away */
      }
    }
    return undefined;
  };
  return until(frame, { timeoutMs, what: 'the Crew Debugger panel to show a suspension', everyMs: 250 });
}
