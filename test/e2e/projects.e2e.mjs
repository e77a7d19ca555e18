// End-to-end, in a real VS Code (code-server in headless chromium): a file that imports its
// sibling. Crew: Evaluate File on All Workers on sum.ts shows the result inline from both
// workers. Screenshots go to test-results/. (A breakpoint in the sibling under Crew: Debug
// Workers is checked through CDP in test/integration/cdp-modules.test.mjs.)
import { join } from 'node:path';
import { after } from 'node:test';
import { lineMatching, results, runCommand } from './code-server.mjs';
import { e2eBefore, e2eTest } from './explain.mjs';
import { closeWorkbench, openFile, openWorkbench, startMasterFromPalette } from './workbench.mjs';

const SUM = `import { twice } from './twice';
twice(21)
`;

const TWICE = `export const twice = (n: number): number => 2 * n;
`;

let w;
let page;
const test = e2eTest(() => w);
const shot = (name) => page.screenshot({ path: join(results, `e2e-projects-${name}.png`) });

e2eBefore(
  () => w,
  'opening sum.ts and starting the master',
  240_000,
  async () => {
    w = {};
    await openWorkbench(
      {
        files: { 'sum.ts': SUM, 'twice.ts': TWICE },
        viewport: { width: 1400, height: 1400 },
      },
      w,
    );
    page = w.page;
    await openFile(page, 'sum.ts', 'import { twice }');
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
