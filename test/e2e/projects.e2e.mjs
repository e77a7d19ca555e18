// End-to-end, in a real VS Code (code-server in headless chromium): files that import their
// siblings. Crew: Evaluate File on All Workers on sum.ts shows the result inline from both
// workers; a breakpoint set with F9 in lib.ts pauses the workers there when main.ts, which
// imports it, is evaluated under Crew: Debug Workers, and Continue brings the result.
// Screenshots go to test-results/.
import { join } from 'node:path';
import { after } from 'node:test';
import { lineMatching, results, runCommand } from './code-server.mjs';
import { scaled } from '../time-scale.mjs';
import { callStackOf, callStackUntil } from './call-stack.mjs';
import { e2eBefore, e2eTest } from './explain.mjs';
import { breakpointAt, closeWorkbench, openFile, openWorkbench, startMasterFromPalette } from './workbench.mjs';

const MAIN = `import { area } from './lib';
area(6, 7)
`;

const SUM = `import { twice } from './twice';
twice(21)
`;

const TWICE = `export const twice = (n: number): number => 2 * n;
`;

const LIB = `export function area(w: number, h: number): number {
  const product: number = w * h;
  return product;
}
`;

let w;
let page;
const test = e2eTest(() => w);
/** Brings an open file's tab to the front, as a click on it does. */
async function showTab(name, firstLine) {
  await page.locator('.tabs-container .tab', { hasText: name }).first().click();
  await page.locator('.monaco-editor .view-lines', { hasText: firstLine }).waitFor({ timeout: scaled(30_000) });
}

/** A worker's session row in the Call Stack. */
const sessionRow = (worker) =>
  callStackOf(page)
    .locator('.monaco-list-row', { hasText: new RegExp(`(^|« )${worker} \\(`) })
    .first();

const shot = (name) => page.screenshot({ path: join(results, `e2e-projects-${name}.png`) });

e2eBefore(
  () => w,
  'opening main.ts and starting the master',
  240_000,
  async () => {
    w = {};
    await openWorkbench(
      {
        files: { 'main.ts': MAIN, 'lib.ts': LIB, 'sum.ts': SUM, 'twice.ts': TWICE },
        viewport: { width: 1400, height: 1400 },
      },
      w,
    );
    page = w.page;
    await openFile(page, 'main.ts', 'import { area }');
    await startMasterFromPalette(page);
  },
);

after(async () => {
  if (w) await shot('final').catch(() => {});
  await closeWorkbench(w);
});

test(
  "Evaluate File on a file that imports its sibling shows both workers' result inline",
  { timeout: 180_000 },
  async () => {
    await openFile(page, 'sum.ts', 'import { twice }');
    await page.locator('.monaco-editor .view-line', { hasText: 'import { twice }' }).first().click();
    await runCommand(page, 'Crew: Evaluate File on All Workers');
    await lineMatching(page, /⇒ 42 {2}· 2 workers/, 'the result of both workers inline', 60_000);
    await shot('1-evaluated');
  },
);

test('a breakpoint in the sibling module pauses the workers at its line', { timeout: 400_000 }, async () => {
  await openFile(page, 'lib.ts', 'export function area');
  await breakpointAt(page, 3);
  await runCommand(page, 'Crew: Debug Workers');
  await runCommand(page, 'View: Show Run and Debug');
  await callStackUntil(page, (rows) => rows.filter((r) => /\bw\d\b/.test(r)).length >= 2, 'a session per worker');
  await showTab('main.ts', 'import { area }');
  await page.locator('.monaco-editor .view-line', { hasText: 'import { area }' }).first().click();
  await runCommand(page, 'Crew: Evaluate File on All Workers');
  await callStackUntil(
    page,
    (rows) => rows.some((r) => /paused on breakpoint/i.test(r)) && rows.some((r) => /lib\.ts\s*3:\d+/.test(r)),
    'a worker paused at the breakpoint at lib.ts line 3',
  );
  await shot('2-paused-in-lib');
  // Each worker is continued from its own session row, whose buttons act on that worker alone.
  for (const worker of ['w1', 'w2']) {
    const paused = new RegExp(`« ${worker} .*paused on breakpoint`, 'i');
    await callStackUntil(page, (rows) => rows.some((r) => paused.test(r)), `${worker} paused at the breakpoint`);
    // A tooltip of the row pressed before would lie over this one.
    await page.mouse.move(0, 0);
    const row = sessionRow(worker);
    await row.hover();
    await row.locator('.action-label[aria-label^="Continue"]').click();
    await callStackUntil(page, (rows) => !rows.some((r) => paused.test(r)), `${worker} running on after Continue`);
  }
  await showTab('main.ts', 'import { area }');
  await lineMatching(page, /⇒ 42 {2}· 2 workers/, 'the result inline after Continue', 120_000);
  await shot('3-continued');
});
