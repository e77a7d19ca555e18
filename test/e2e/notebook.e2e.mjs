// End-to-end, in a real VS Code (code-server in headless chromium), acting as a user: Crew: New
// Notebook opens a Jupyter notebook on the Crew kernel; a %%all cell shows each worker's pid,
// a plain cell runs on the master, a looping cell is interrupted and the next cell runs, and
// Crew: Show Cluster, opened during a map, draws w1 and w2 and a throughput above zero.
// Screenshots go to test-results/ for a person to look at.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after } from 'node:test';
import { results, runCommand } from './code-server.mjs';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { e2eBefore, e2eTest } from './explain.mjs';
import { closeWorkbench, openWorkbench, statusText } from './workbench.mjs';

let w;
let page;
const test = e2eTest(() => w);

function shot(name) {
  return page.screenshot({ path: join(results, `e2e-notebook-${name}.png`) });
}

/** The text of every webview frame (notebook outputs and the cluster view render in webviews). */
async function frameTexts() {
  const texts = [];
  for (const f of page.frames()) {
    try {
      texts.push(await f.evaluate(() => document.body?.innerText ?? ''));
    } catch {
      /* a frame that went away */
    }
  }
  return texts;
}

/** Waits until some webview frame's text matches; returns the match. */
async function frameMatching(pattern, what, timeoutMs = 60_000) {
  let seen = [];
  return until(
    async () => {
      seen = await frameTexts();
      for (const t of seen) {
        const m = pattern.exec(t);
        if (m) return m;
      }
      return undefined;
    },
    { timeoutMs, what, everyMs: 250 },
  ).catch(() => {
    throw new Error(`${what}: no webview matched ${pattern}; they show:\n${seen.join('\n----\n').slice(0, 4000)}`);
  });
}

const cells = () => page.locator('.notebook-editor .cell-list-container .code-cell-row');

/** Types into the last cell (inserting the text whole, so no brackets are auto-closed), then runs it. */
async function runLastCell(text) {
  const cell = cells().last();
  await cell.locator('.monaco-editor').click();
  // Emptied first: typing a bracket over a selection would wrap it in brackets (autoSurround).
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Backspace');
  await page.keyboard.insertText(text);
  // Execute Cell and Insert Below: the next cell is ready for the next step.
  await page.keyboard.press('Alt+Enter');
  return cell;
}

e2eBefore(
  () => w,
  'opening a new window',
  180_000,
  async () => {
    w = {};
    await openWorkbench(
      {
        files: { 'readme.txt': 'Crew notebooks\n' },
        settings: { 'crew.debugOnError': false },
        viewport: { width: 1400, height: 900 },
      },
      w,
    );
    page = w.page;
  },
);

after(async () => {
  if (w) await shot('final').catch(() => {});
  await closeWorkbench(w);
});

test('Crew: New Notebook opens an untitled notebook with the Crew kernel selected', { timeout: 180_000 }, async () => {
  await runCommand(page, 'Crew: New Notebook');
  await cells()
    .first()
    .waitFor({ timeout: scaled(60_000) });
  const kernel = page.locator('.notebook-editor .notebook-toolbar-container', { hasText: 'Crew' });
  await kernel.first().waitFor({ timeout: scaled(60_000) });
  await shot('1-new');
});

test('a %%all cell with no master running starts one and shows two labelled pids', { timeout: 240_000 }, async () => {
  assert.doesNotMatch(await statusText(page), /workers/, 'no master before the first cell');
  await runLastCell('%%all\nprocess.pid');
  const m = await frameMatching(/w1: (\d+)\s+w2: (\d+)/, "both workers' pids in the cell", 150_000);
  assert.notEqual(m[1], m[2], 'two different worker processes');
  assert.match(await statusText(page), /Crew: 2 workers/);
  const order = await cells().first().locator('.execution-count-label').textContent();
  assert.match(order ?? '', /1/, 'the cell has execution order 1');
});

test('a plain cell runs on the master: 6 * 7 shows 42', { timeout: 120_000 }, async () => {
  await runLastCell('6 * 7');
  await frameMatching(/^42$/m, 'the value 42 in the cell');
  const order = await cells().nth(1).locator('.execution-count-label').textContent();
  assert.match(order ?? '', /2/, 'the cell has execution order 2');
  await shot('2-values');
});

test('a looping cell on every worker is interrupted, and the next cell runs', { timeout: 180_000 }, async () => {
  await runLastCell('%%all\nwhile (true) {}');
  let text = '';
  await until(async () => /2 busy/.test((text = await statusText(page))), {
    timeoutMs: 60_000,
    what: 'both workers busy with the loop',
    everyMs: 250,
  }).catch(() => assert.fail(`the status bar shows "${text}"`));
  await runCommand(page, 'Notebook: Interrupt');
  await frameMatching(/Interrupted/, 'the interrupted cell says so', 60_000);
  await runLastCell('40 + 2 + 100');
  await frameMatching(/^142$/m, 'the next cell ran after the interrupt', 60_000);
  await until(async () => !/busy/.test(await statusText(page)), { timeoutMs: 30_000, what: 'no worker busy' });
  await shot('3-interrupted');
});

test(
  'Ctrl+Enter runs the cell in place, as in Jupyter, instead of typing a new line',
  { timeout: 120_000 },
  async () => {
    const before = await cells().count();
    const cell = cells().last();
    await cell.locator('.monaco-editor').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Backspace');
    await page.keyboard.insertText('6000 + 7');
    await page.keyboard.press('Control+Enter');
    await frameMatching(/^6007$/m, 'the cell ran with Ctrl+Enter');
    assert.equal(await cells().count(), before, 'no cell was added');
    assert.equal(await cell.locator('.view-line').count(), 1, 'no new line was typed into the cell');
  },
);

test('Crew: Show Cluster during a map shows w1, w2 and tasks per second above zero', { timeout: 240_000 }, async () => {
  const map =
    '(await parallelMap(pool, (x) => `const t = Date.now(); while (Date.now() - t < 25); ${x}`,\n' +
    '  Array.from({ length: 800 }, (_, i) => i))).length';
  await runLastCell(map);
  await frameMatching(/\d+\/\d+ tasks/, 'the map’s progress in the cell', 60_000);
  await shot('4-progress');
  await runCommand(page, 'Crew: Show Cluster');
  const busy = await frameMatching(/([1-9]\d*) tasks\/s · \d+ queued/, 'the cluster view’s throughput', 60_000);
  assert.ok(Number(busy[1]) > 0);
  await frameMatching(/w1\s+\d+ tasks\/s\s+CPU \d+%\s+mem \d+ MB/, 'the lane of w1 with its CPU and memory');
  await frameMatching(/w2\s+\d+ tasks\/s\s+CPU \d+%\s+mem \d+ MB/, 'the lane of w2 with its CPU and memory');
  await shot('5-cluster');

  // A click on a lane shows that worker's host, state and current task, with Interrupt.
  let view;
  for (const f of page.frames()) if (await f.locator('.lane[data-worker="w1"]').count()) view = f;
  assert.ok(view, 'the cluster view’s frame');
  await view.locator('.lane[data-worker="w1"]').click();
  const details = view.locator('#details');
  await details.waitFor({ state: 'visible', timeout: scaled(30_000) });
  const text = await details.innerText();
  assert.match(text, /worker\s+w1 \(local-\d\)/);
  assert.match(text, /host\s+\S+ · pid \d+/);
  assert.match(text, /state\s+ready/);
  assert.match(text, /current task\s+\S+/);
  assert.match(text, /tasks done\s+\d+/);
  assert.equal(await details.locator('button#interrupt').textContent(), 'Interrupt');
  await shot('6-worker');

  // The status bar's tooltip gives the same numbers in short.
  await page.locator('.statusbar-item', { hasText: 'Crew' }).first().hover();
  const tip = page.locator('.monaco-hover, .hover-contents, .custom-hover').filter({ hasText: /tasks\/s/ });
  await tip.first().waitFor({ timeout: scaled(30_000) });
  assert.match(await tip.first().innerText(), /\d+ tasks\/s · \d+ queued · w1 \d+% CPU \d+ MB · w2 \d+% CPU \d+ MB/);

  await frameMatching(/^800$/m, 'the map finished in the cell', 120_000);
});
