// A failed end-to-end case explains itself: under its error it prints what a person at the
// window would see (the status bar, the notifications, the Call Stack, the last lines of the
// Crew output channel), and leaves a screenshot in test-results/. Every case of an e2e file,
// and its `before` hook, goes through `e2eTest` and `e2eBefore`, which also scale its time limit.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { scaled } from '../time-scale.mjs';
import { results, runCommand } from './code-server.mjs';

/** How long gathering the explanation may take, beyond the case's own limit. */
const EXPLAIN_MS = 30_000;

/** Files under `dir` (to a small depth) whose path matches `pattern`. */
function findFiles(dir, pattern, depth = 4) {
  if (depth < 0 || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return findFiles(p, pattern, depth - 1);
    return pattern.test(p) ? [p] : [];
  });
}

function tail(file, lines) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${err.message})`;
  }
}

/**
 * The Crew output channels as VS Code writes them to disk: `N-Crew.log` (the extension's own
 * channel: master output, restarts, the audit trail) and the language client's log. Read from
 * the files, not the Output view, which shows only what fits on screen.
 */
function crewOutput(userData) {
  const newest = (files) => files.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs).pop();
  const logs = join(userData, 'logs');
  const own = newest(findFiles(logs, /output_logging_[^/]*\/\d+-Crew\.log$/));
  const client = newest(findFiles(logs, /crew\.crew-vscode\/Crew Language Server\.log$/));
  return [
    `-- the Crew output channel, last lines --\n${own ? tail(own, 30) : '(not written yet)'}`,
    `-- the Crew Language Server channel, last lines --\n${client ? tail(client, 12) : '(not written yet)'}`,
  ].join('\n');
}

/** The texts of the rows `selector` matches, in the page. */
function rowTexts(page, selector) {
  return page
    .locator(selector)
    .allTextContents()
    .then((rows) => rows.map((r) => r.replace(/\s+/g, ' ').trim()).filter(Boolean))
    .catch((err) => [`(cannot read: ${err.message.split('\n')[0]})`]);
}

/** The Crew Debugger's entries (it is a webview: its page is one of the frames), as their condition and workers. */
async function crewDebugger(page) {
  const entries = [];
  for (const f of page.frames()) {
    const texts = await f
      .locator('.crew-entry')
      .evaluateAll((els) =>
        els.map(
          (e) => `${e.querySelector('.crew-condition')?.textContent} ${e.querySelector('.crew-meta')?.textContent}`,
        ),
      )
      .catch(() => []);
    entries.push(...texts.map((t) => t.replace(/\s+/g, ' ').trim()));
  }
  return entries;
}

/** What the window shows now, as text; a screenshot named after `label` goes to test-results/. */
export async function whatIsShown(w, label) {
  const parts = [`== what the window showed when "${label}" failed ==`];
  const page = w?.page;
  if (page && !page.isClosed()) {
    const file = join(results, `e2e-failed-${label.replace(/\W+/g, '-').slice(0, 80)}.png`);
    await page
      .screenshot({ path: file, timeout: scaled(10_000) })
      .then(() => parts.push(`screenshot: ${file}`))
      .catch(() => {});
    parts.push(`status bar: ${(await rowTexts(page, '.statusbar-item')).join(' | ')}`);
    const toasts = await rowTexts(page, '.notifications-toasts .notification-list-item');
    // The center lists every notification, also those whose toasts are gone.
    await runCommand(page, 'Notifications: Show Notifications', 10_000).catch(() => {});
    const center = await rowTexts(page, '.notifications-center .notification-list-item');
    await runCommand(page, 'Notifications: Hide Notifications', 5000).catch(() => {});
    parts.push(`notifications (toasts): ${toasts.length ? `\n  ${toasts.join('\n  ')}` : 'none'}`);
    parts.push(`notifications (center): ${center.length ? `\n  ${center.join('\n  ')}` : 'none'}`);
    const stack = await rowTexts(page, '.debug-call-stack .monaco-list-row');
    const open = await page
      .locator('.debug-call-stack')
      .count()
      .catch(() => 0);
    parts.push(`Call Stack: ${stack.length ? `\n  ${stack.join('\n  ')}` : open ? '(no sessions)' : 'not open'}`);
    const suspensions = await crewDebugger(page);
    if (suspensions.length) parts.push(`Crew Debugger:\n  ${suspensions.join('\n  ')}`);
  } else parts.push('(the window is closed)');
  if (w?.dirs) parts.push(crewOutput(w.dirs.userData));
  return parts.join('\n');
}

/** Runs `fn` within `ms`; past it, or on a failure, the error says what the window showed. */
async function explained(win, label, ms, fn) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`"${label}" ran past its limit of ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([fn(), limit]);
  } catch (err) {
    const shown = await whatIsShown(win(), label).catch((e) => `(could not tell what the window showed: ${e})`);
    throw new Error(`${err.message}\n\n${shown}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * node:test's `test`, for a file whose window `win()` gives: the limit is scaled by
 * CREW_TEST_TIME_SCALE, and a failure carries what the window showed.
 */
export function e2eTest(win) {
  return (name, { timeout, ...opts }, fn) =>
    test(name, { ...opts, timeout: scaled(timeout) + scaled(EXPLAIN_MS) }, (t) =>
      explained(win, name, scaled(timeout), () => fn(t)),
    );
}

/** node:test's `before`, limited and explained as a case is: opening the window and starting what the cases use. */
export function e2eBefore(win, label, timeout, fn) {
  before(() => explained(win, `before: ${label}`, scaled(timeout), fn), {
    timeout: scaled(timeout) + scaled(EXPLAIN_MS),
  });
}
