// End-to-end, in a real VS Code (code-server in headless chromium), acting as a new user:
// install the .vsix, open a workspace with a .ts file, run "Crew: Start Master" from the
// palette, select an expression, run "Crew: Evaluate Selection on All Workers", and read the
// inline result and the status bar. Screenshots go to test-results/ for a person to look at.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { editorLines, launchBrowser, prepare, results, root, runCommand, startCodeServer, tools } from './code-server.mjs';

const SAMPLE = `// Crew end-to-end sample
const answer: number = 6 * 7;
process.pid
answer
(null as any).boom
`;

let browser;
let server;
let page;

function shot(name) {
  return page.screenshot({ path: join(results, `e2e-${name}.png`) });
}

/** Puts the cursor on a 1-based line and selects it, as a user would with Home, Shift+End. */
async function selectLine(line) {
  await page.keyboard.press('Control+g');
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
}

/** Waits until the editor line shows text matching `pattern`; returns that line. */
async function lineMatching(pattern, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lines = [];
  while (Date.now() < deadline) {
    lines = await editorLines(page);
    const hit = lines.find((l) => pattern.test(l));
    if (hit) return hit;
    await page.waitForTimeout(200);
  }
  throw new Error(`${what}: no editor line matched ${pattern}; the editor shows:\n${lines.join('\n')}`);
}

async function statusText() {
  return (await page.locator('.statusbar-item', { hasText: 'Crew' }).first().textContent())?.trim() ?? '';
}

before(async () => {
  mkdirSync(results, { recursive: true });
  const { chromium } = tools();
  const vsix = execFileSync(process.execPath, [join(root, 'scripts', 'package-extension.mjs')], { encoding: 'utf8' }).trim().split('\n').pop();
  // Errors show inline when the debugger is off; debugger.e2e.mjs covers it on.
  const dirs = prepare(vsix, { 'sample.ts': SAMPLE }, { 'crew.debugOnError': false });
  server = await startCodeServer(dirs);
  browser = await launchBrowser(chromium);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(server.url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  // Open the file from the Explorer, as a user does.
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'sample.ts' });
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.locator('.monaco-editor .view-lines', { hasText: 'Crew end-to-end sample' }).waitFor({ timeout: 30_000 });
});

after(async () => {
  if (page) await shot('final').catch(() => {});
  await browser?.close();
  await server?.stop();
});

test('Crew: Start Master starts a master with 2 workers, shown in the status bar', { timeout: 120_000 }, async () => {
  await runCommand(page, 'Crew: Start Master');
  const deadline = Date.now() + 60_000;
  let text = await statusText();
  while (!/2 workers/.test(text) && Date.now() < deadline) {
    await page.waitForTimeout(250);
    text = await statusText();
  }
  await shot('1-started');
  assert.match(text, /Crew: 2 workers/, `status bar shows "${text}"`);
});

test('Evaluate Selection on All Workers shows both workers\' values inline', { timeout: 120_000 }, async () => {
  await selectLine(3);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  const line = await lineMatching(/^process\.pid.*⇒ w1: \d+ · w2: \d+/, 'the pids of both workers');
  await shot('2-pids-inline');
  const [, a, b] = /w1: (\d+) · w2: (\d+)/.exec(line).map(Number);
  assert.notEqual(a, b, 'two different worker processes');
  for (const pid of [a, b]) {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    assert.match(cmd, /cli\.js worker --connect 127\.0\.0\.1:\d+ --name local-\d/, `pid ${pid} is a Crew worker process`);
  }
});

test('values that agree show once, with the worker count', { timeout: 120_000 }, async () => {
  await selectLine(2);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  await lineMatching(/^const answer.*⇒ undefined {2}· 2 workers/, 'a declaration evaluates to undefined on both');
  await selectLine(4);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  const line = await lineMatching(/^answer.*⇒ 42 {2}· 2 workers/, 'the same value from both workers');
  assert.ok(line);
});

test('an error shows in red with the workers that raised it', { timeout: 120_000 }, async () => {
  await selectLine(5);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  const line = await lineMatching(/✖ w1, w2: TypeError: Cannot read properties of null \(reading 'boom'\)/, 'the error from both workers');
  assert.ok(line);
  const colour = await page.evaluate(() => {
    for (const el of document.querySelectorAll('.monaco-editor .view-lines span')) {
      const text = el.textContent + getComputedStyle(el, '::after').content;
      if (text.includes('✖')) return getComputedStyle(el.textContent.includes('✖') ? el : el, el.textContent.includes('✖') ? null : '::after').color;
    }
    return undefined;
  });
  const [r, g, b] = (colour ?? '').match(/\d+/g)?.map(Number) ?? [];
  assert.ok(r > 150 && r > g + 50 && r > b + 50, `the error text is red (got ${colour})`);
  await shot('3-error-inline');
});

test('the status bar opens the Workers view, which lists both workers', { timeout: 120_000 }, async () => {
  await page.locator('.statusbar-item', { hasText: 'Crew' }).first().click();
  const view = page.locator('.pane', { hasText: 'Workers' });
  await view.locator('.monaco-list-row', { hasText: 'w2' }).waitFor({ timeout: 30_000 });
  const rows = await view.locator('.monaco-list-row').allTextContents();
  assert.ok(rows.some((r) => /^w1\s+local-\d/.test(r.trim())), `rows: ${rows.join(' | ')}`);
  assert.ok(rows.some((r) => /^w2\s+local-\d/.test(r.trim())), `rows: ${rows.join(' | ')}`);
  assert.ok(rows.some((r) => /master/.test(r)), `rows: ${rows.join(' | ')}`);
  await shot('4-workers-view');
});

test('hovering an inline result shows every worker\'s full value', { timeout: 120_000 }, async () => {
  await page.keyboard.press('Escape');
  const target = page.locator('.monaco-editor .view-line', { hasText: 'process.pid' }).first();
  const box = await target.boundingBox();
  // Hover the evaluated code itself: its result's decoration covers it.
  await page.mouse.move(box.x + 30, box.y + box.height / 2);
  const hover = page.locator('.monaco-hover:visible', { hasText: 'w2' }).first();
  await hover.waitFor({ timeout: 30_000 });
  const text = await hover.textContent();
  assert.match(text, /w1\s*\d+/);
  assert.match(text, /w2\s*\d+/);
  await shot('5-hover');
  await page.mouse.move(5, 400);
});

test('the REPL terminal evaluates on the master, with the pool in scope', { timeout: 120_000 }, async () => {
  await runCommand(page, 'Crew: Open REPL');
  const rows = page.locator('.terminal-wrapper.active .xterm-rows, .xterm-rows').first();
  await rows.waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => [...document.querySelectorAll('.xterm-rows')].some((r) => r.textContent.includes('crew>')), null, { timeout: 30_000 });
  await page.keyboard.type('await parallelMap(pool, (x) => `${x} * 10`, [1, 2, 3])');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('.xterm-rows')].some((r) => r.textContent.replace(/\u00a0/g, ' ').includes('[ 10, 20, 30 ]')), null, { timeout: 30_000 });
  await page.keyboard.type('pool.size');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('.xterm-rows')].some((r) => /pool\.size\s*2\s*crew>/.test(r.textContent.replace(/\u00a0/g, ' '))), null, { timeout: 30_000 });
  await shot('6-repl');
});

test('the audit trail is in the Crew output channel', { timeout: 120_000 }, async () => {
  await runCommand(page, 'Crew: Show Audit Trail');
  const line = await page.waitForFunction(() => {
    const text = [...document.querySelectorAll('.output-view .view-line, .panel .view-line')].map((l) => l.textContent.replace(/\u00a0/g, ' ')).join('\n');
    return /\[A\] \S+ master connect worker=w1/.test(text) && text;
  }, null, { timeout: 30_000 });
  assert.match(await line.jsonValue(), /\[A\] \S+ master state worker=w2 state=ready/);
  await shot('7-audit');
});
