// End-to-end, in a real VS Code (code-server in headless chromium): code that throws on the
// workers opens the Crew Debugger on their live frames. The developer reads a local,
// evaluates in the frame, opens the frame's file at its line, fixes the function on every
// worker, presses Retry, and sees the inline result. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { results, runCommand, lineMatching as waitForLine } from './code-server.mjs';
import {
  closeWorkbench,
  crewPids,
  debuggerFrame,
  openWorkbench,
  selectLines,
  startMasterFromPalette,
} from './workbench.mjs';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { e2eBefore, e2eTest } from './explain.mjs';

const SAMPLE = `// Crew debugger sample
function divide(a: number, b: number): number {
  const scaled = a * 10;
  if (b === 0) throw new RangeError(\`cannot divide \${a} by zero\`);
  return scaled / b;
}

divide(7, 0)

throw new Error('held for the debugger')
`;

let w;
let page;
const test = e2eTest(() => w);

function shot(name) {
  return page.screenshot({ path: join(results, `e2e-debugger-${name}.png`) });
}

const lineMatching = (pattern, what, timeoutMs = 60_000) => waitForLine(page, pattern, what, timeoutMs);

e2eBefore(
  () => w,
  'opening calc.ts and starting the master',
  240_000,
  async () => {
    w = {};
    await openWorkbench({ files: { 'calc.ts': SAMPLE } }, w);
    page = w.page;
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'calc.ts' });
    await row.waitFor({ timeout: scaled(30_000) });
    await row.click();
    await page
      .locator('.monaco-editor .view-lines', { hasText: 'Crew debugger sample' })
      .waitFor({ timeout: scaled(30_000) });
    await startMasterFromPalette(page);
  },
);

after(async () => {
  if (w?.browser) await shot('final').catch(() => {});
  await closeWorkbench(w);
});

test(
  'a throw on the workers opens the Crew Debugger on live frames; fix, Retry, and the result shows inline',
  { timeout: 300_000 },
  async () => {
    // Define the function on every worker.
    await selectLines(page, 2, 6);
    await runCommand(page, 'Crew: Evaluate Selection on All Workers');
    // The result shows after the last line of the selection.
    await lineMatching(/^}⇒ undefined {2}· 2 workers/, 'the definition evaluated on both workers');

    // Call it: it throws on both workers, and each suspends.
    await selectLines(page, 8, 8);
    await runCommand(page, 'Crew: Evaluate Selection on All Workers');
    const view = await debuggerFrame(page);
    // Both workers stop at the same error in the same frame: one entry lists them both.
    const entry = view.locator('.crew-entry').first();
    await entry.locator('.crew-meta', { hasText: /on workers w\d, w\d/ }).waitFor({ timeout: scaled(60_000) });
    assert.equal(await view.locator('.crew-entry').count(), 1);
    assert.equal((await entry.locator('.crew-condition').textContent()).trim(), 'RangeError: cannot divide 7 by zero');
    assert.match(
      await entry.locator('.crew-meta').textContent(),
      /on workers w\d, w\d\nevaluating calc\.ts:8 divide\(7, 0\)/,
    );

    // The throwing frame, at the right line of the .ts file, with its locals.
    const top = entry.locator('.crew-frame').first();
    assert.match(
      await top.textContent(),
      /^0: divide\s+calc\.ts:4$/,
      'the location is shown relative to the workspace',
    );
    const scaledLocal = entry.locator('.crew-var[data-name="scaled"] .value');
    await scaledLocal.waitFor({ timeout: scaled(30_000) });
    assert.equal(await scaledLocal.textContent(), '70');
    assert.equal(await entry.locator('.crew-var[data-name="a"] .value').textContent(), '7');

    // Evaluate in the frame, on the worker.
    const input = entry.locator('.crew-eval-input');
    await input.fill('scaled + a * 1000');
    await input.press('Enter');
    await entry.locator('.crew-eval-result', { hasText: '=>' }).waitFor({ timeout: scaled(30_000) });
    assert.equal((await entry.locator('.crew-eval-result').textContent()).trim(), 'scaled + a * 1000 => 7070');
    await shot('1-suspended');

    // Clicking the frame's location opens the file at that line.
    await top.locator('.loc').click();
    await page
      .locator('.statusbar-item', { hasText: /Ln 4, Col/ })
      .first()
      .waitFor({ timeout: scaled(30_000) });

    // Fix the function in the editor and evaluate it on every worker (the suspended ones
    // too), then Retry both at once.
    await selectLines(page, 4, 4);
    await page.keyboard.type('if (b === 0) return Infinity;');
    await selectLines(page, 2, 6);
    await runCommand(page, 'Crew: Evaluate Selection on All Workers');
    // One Retry, for all the entry's workers.
    assert.equal(await entry.locator('.crew-target').inputValue(), '*');
    await entry.locator('button[data-kind="retry"]').click();
    await entry.locator('.crew-status', { hasText: 'Ended: retrying' }).waitFor({ timeout: scaled(30_000) });
    const line = await lineMatching(
      /^divide\(7, 0\).*⇒ Infinity {2}· 2 workers/,
      'the retried call gives Infinity on both workers',
    );
    assert.ok(line);
    await lineMatching(/^}⇒ undefined {2}· 2 workers/, 'the fixed definition evaluated on both workers');
    await shot('2-retried');
  },
);

test(
  "closing the editor with a worker held in VS Code's own debugger leaves no Crew process running",
  { timeout: 180_000 },
  async () => {
    // The Retry buttons above left the focus in the panel: back to the editor.
    await page.locator('.monaco-editor .view-line', { hasText: 'held for the debugger' }).click();
    await selectLines(page, 10, 10);
    await runCommand(page, 'Crew: Evaluate Selection on All Workers');
    const view = await debuggerFrame(page);
    const held = view.locator('.crew-entry', { hasText: 'held for the debugger' }).first();
    await held.waitFor({ timeout: scaled(60_000) });
    await held.locator('.crew-attach').click();
    // VS Code's debugger is attached to the suspended worker and shows its paused thread.
    await page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: scaled(60_000) });
    await runCommand(page, 'View: Show Run and Debug');
    await page
      .locator('.debug-call-stack', { hasText: /Crew worker w\d.*paused/is })
      .first()
      .waitFor({ timeout: scaled(60_000) });
    await shot('3-native-debugger');

    const pids = crewPids(w.dirs);
    assert.ok(pids.length >= 3, `the crew lsp and its 2 workers are running: ${pids.join(', ')}`);
    await w.browser.close();
    w.browser = undefined;
    await w.server.close();
    // Nothing kills them by group: they must end on their own once the editor has gone.
    const left = () => pids.filter((pid) => existsSync(`/proc/${pid}`) && !isZombie(pid));
    await until(() => left().length === 0, {
      timeoutMs: 30_000,
      what: `no Crew process to be left (still running: ${pids.join(', ')})`,
      everyMs: 250,
    });
  },
);

function isZombie(pid) {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // gone
  }
}
