// End-to-end on a real one-node Slurm cluster, as a user on a cluster's login node works in
// VS Code: set crew.slurm.workers, run "Crew: Start Master", and the workers come from a
// Slurm job array; the Workers view names each one's job and node, and evaluation runs there.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { slurmSkip, startSlurmCluster } from '../slurm/slurm-cluster.mjs';
import { lineMatching, results, runCommand } from './code-server.mjs';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { e2eBefore, e2eTest } from './explain.mjs';
import { closeWorkbench, openWorkbench } from './workbench.mjs';

const node = hostname().split('.')[0];
let cluster;
const squeue = (job) => execFileSync('squeue', ['-h', '-r', '-j', job, '-o', '%i'], { encoding: 'utf8' }).trim();
let w;
let page;
const test = e2eTest(() => w);

e2eBefore(
  () => w,
  'starting the Slurm cluster and a new window',
  300_000,
  async () => {
    if (slurmSkip) return;
    // code-server, its extension host and so the master inherit the cluster's SLURM_CONF.
    cluster = startSlurmCluster();
    w = {};
    await openWorkbench(
      { files: { 'probe.ts': 'process.env.SLURM_ARRAY_TASK_ID\n' }, settings: { 'crew.slurm.workers': 2 } },
      w,
    );
    page = w.page;
  },
);

after(async () => {
  await closeWorkbench(w);
  cluster?.stop();
});

test(
  'with crew.slurm.workers set, Start Master submits Slurm workers, shown with their job and node',
  { skip: slurmSkip, timeout: 240_000 },
  async () => {
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'probe.ts' });
    await row.waitFor({ timeout: scaled(30_000) });
    await row.click();
    await page
      .locator('.monaco-editor .view-lines', { hasText: 'SLURM_ARRAY_TASK_ID' })
      .waitFor({ timeout: scaled(30_000) });
    await runCommand(page, 'Crew: Start Master');
    await page
      .locator('.statusbar-item', { hasText: /Crew: 2 workers/ })
      .first()
      .waitFor({ timeout: scaled(120_000) });

    await page.locator('.statusbar-item', { hasText: 'Crew' }).first().click();
    const view = page.locator('.pane', { hasText: 'Workers' });
    await view.locator('.monaco-list-row', { hasText: 'w2' }).waitFor({ timeout: scaled(30_000) });
    const rows = (await view.locator('.monaco-list-row').allTextContents()).filter((r) => /^w\d/.test(r.trim()));
    assert.equal(rows.length, 2, `rows: ${rows.join(' | ')}`);
    for (const r of rows) assert.match(r, new RegExp(`${node} · job \\d+_[01] · ready`), `a Slurm worker row: ${r}`);

    // Evaluation runs inside the array's two tasks.
    await page.locator('.monaco-editor .view-line', { hasText: 'SLURM_ARRAY_TASK_ID' }).click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await runCommand(page, 'Crew: Evaluate Selection on All Workers');
    const line = await lineMatching(page, /⇒ w\d: '[01]' · w\d: '[01]'/, 'each worker answers with its array task');
    assert.match(line, /w1: '(\d)' · w2: '(?!\1)\d'/);
    await page.screenshot({ path: join(results, 'e2e-slurm-workers.png') });

    // Stopping the master cancels the job: nothing of Crew's is left in squeue.
    const job = /job (\d+)_/.exec(rows[0])[1];
    await runCommand(page, 'Crew: Stop Master');
    await until(() => squeue(job) === '', { timeoutMs: 60_000, what: 'squeue to drop the job', everyMs: 250 });
  },
);
