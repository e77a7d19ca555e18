// One real VS Code window for an end-to-end file: the packaged extension installed in a fresh
// profile, code-server serving a workspace, and headless chromium on it; with the steps every
// file takes (starting the master from the palette, opening a file, going to and selecting
// lines, finding the Crew Debugger, pointing at an element, setting a breakpoint) and the end
// that leaves nothing running.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, prepare, results, root, runCommand, startCodeServer, tools } from './code-server.mjs';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';

/** Windows not closed yet, ended by pid if this process is interrupted (after hooks do not run then). */
const open = new Set();
function endOnSignal(signal) {
  for (const w of open) {
    try {
      process.kill(-w.server.group, 'SIGKILL');
    } catch {
      /* the group is gone */
    }
    for (const pid of crewPids(w.dirs)) process.kill(pid, 'SIGKILL');
  }
  process.exit(128 + constants.signals[signal]);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, endOnSignal);

/**
 * Packages the extension, opens `files` in a new window with `settings`, and waits for the
 * workbench. What it starts is put in `w` as it starts (`dirs`, `server`, `browser`, `page`),
 * so that closeWorkbench(w) ends it even if opening failed or ran past its limit halfway.
 */
export async function openWorkbench({ files, settings = {}, viewport = { width: 1400, height: 900 } }, w = {}) {
  // Each step that starts something checks that the window was not closed meanwhile.
  const started = async (what) => {
    if (!w.closed) return;
    await closeWorkbench(w);
    throw new Error(`the window was closed while it was opening, once its ${what} had started`);
  };
  mkdirSync(results, { recursive: true });
  const { chromium } = tools();
  const vsix = execFileSync(process.execPath, [join(root, 'scripts', 'package-extension.mjs')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  w.dirs = prepare(vsix, files, settings);
  w.server = await startCodeServer(w.dirs);
  open.add(w);
  await started('code-server');
  w.browser = await launchBrowser(chromium);
  await started('browser');
  w.page = await w.browser.newPage({ viewport });
  // Every wait of playwright's that names no limit of its own.
  w.page.setDefaultTimeout(scaled(30_000));
  await w.page.goto(w.server.url, { timeout: scaled(60_000) });
  await w.page.waitForSelector('.monaco-workbench', { timeout: scaled(60_000) });
  return w;
}

/**
 * Closes the window and code-server, then ends by pid whatever of this window's Crew is left
 * (a failed case may leave workers). The profile goes too, unless CREW_E2E_KEEP=1. A window
 * still opening is closed as far as it got (see openWorkbench).
 */
export async function closeWorkbench(w) {
  if (!w) return;
  w.closed = true;
  await w.browser?.close().catch(() => {});
  await w.server?.stop();
  open.delete(w);
  if (!w.dirs) return;
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
 * Crew: Start Master from the palette (which retries while the window is still starting), and
 * its 2 local workers in the status bar.
 */
export async function startMasterFromPalette(page) {
  await runCommand(page, 'Crew: Start Master');
  await page
    .locator('.statusbar-item', { hasText: /Crew: 2 workers/ })
    .first()
    .waitFor({ timeout: scaled(60_000) });
}

/** Opens a workspace file with Quick Open, as a user does, and puts the cursor in it. */
export async function openFile(page, name, firstLine) {
  await page.keyboard.press('Control+p');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-lines', { hasText: firstLine }).waitFor();
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
  return until(frame, {
    timeoutMs,
    what: 'the Crew Debugger panel to show a suspension',
    everyMs: 250,
  });
}

/**
 * Moves the pointer onto `target`, `dx` pixels from its left edge. Monaco redraws its lines as
 * the editor changes, so the element found may have no box for a moment: this waits for one.
 */
export async function pointAt(page, target, dx = 8) {
  const box = await until(() => target.boundingBox(), {
    timeoutMs: 10_000,
    what: 'the element to be laid out on the page',
    everyMs: 50,
  });
  await page.mouse.move(box.x + dx, box.y + box.height / 2, { steps: 4 });
}

/** Puts the cursor on 1-based `line` of the open file with Go to Line (Ctrl+G), as a user does. */
export async function goToLine(page, line) {
  await page.keyboard.press('Control+g');
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
}

/** Selects whole lines `from`..`to` (1-based) of the open file, as a user does with the keyboard. */
export async function selectLines(page, from, to = from) {
  await goToLine(page, from);
  await page.keyboard.press('Home');
  for (let i = from; i < to; i++) await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+End');
}

/** Goes to `line` of the open file and sets a breakpoint there with F9, as a user does; waits for its mark. */
export async function breakpointAt(page, line) {
  await goToLine(page, line);
  await page.keyboard.press('F9');
  await page
    .locator('.monaco-editor .codicon-debug-breakpoint')
    .first()
    .waitFor({ timeout: scaled(30_000) });
}
