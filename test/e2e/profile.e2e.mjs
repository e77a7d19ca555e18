// End-to-end, in a real VS Code (code-server in headless chromium), acting as a user: with both
// workers busy in a TypeScript function, Crew: Profile Workers for 3 s opens the profile merged
// across the 2 workers in VS Code's own profile viewer, which lists the user's function at its
// file and line before the rest, and a file per worker beside it; the Profile button on w1's
// lane in the cluster view profiles w1 alone and opens it; a profile until stopped ends
// when its progress is cancelled; Crew: Heap Snapshot writes one worker's heap and opens it in
// the same viewer. Screenshots go to test-results/ for a person to look at.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { lineMatching, results, runCommand } from './code-server.mjs';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { e2eBefore, e2eTest } from './explain.mjs';
import { closeWorkbench, openFile, openWorkbench, startMasterFromPalette } from './workbench.mjs';

// The workers keep spinning between tasks (on timers), so a profile taken later sees hotLoop.
// Once V8 has optimised the spinning for long enough, it may count hotLoop's samples as spin's
// (see docs/performance.md): either is the user's function at its own line.
const HOT = `// Crew profile sample
function hotLoop(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i * i) % 1000003;
  return s;
}
const until = Date.now() + 120_000;
function spin(): void {
  const stop = Date.now() + 50;
  while (Date.now() < stop) hotLoop(100_000);
  if (Date.now() < until) setTimeout(spin, 0);
}
spin();
'spinning';
`;

let w;
let page;
const test = e2eTest(() => w);

function shot(name) {
  return page.screenshot({ path: join(results, `e2e-profile-${name}.png`) });
}

e2eBefore(
  () => w,
  'opening hot.ts in a new window',
  180_000,
  async () => {
    w = {};
    await openWorkbench(
      { files: { 'hot.ts': HOT }, settings: { 'crew.debugOnError': false }, viewport: { width: 1280, height: 800 } },
      w,
    );
    page = w.page;
    await startMasterFromPalette(page);
    await openFile(page, 'hot.ts', 'Crew profile sample');
    await runCommand(page, 'Crew: Evaluate File on All Workers');
    await lineMatching(page, /^'spinning';.*⇒ 'spinning'.*2 workers/, 'the file evaluated on both workers');
  },
);

after(async () => {
  if (w) await shot('final').catch(() => {});
  await closeWorkbench(w);
});

test('Crew: Profile Workers opens a profile of 2 workers in the profile viewer', { timeout: 180_000 }, async () => {
  await runCommand(page, 'Crew: Profile Workers');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: '3 s' }).first().click();
  // The viewer is a webview: its table is in a frame of its own.
  const viewer = await findFrame(page, (f) => f.locator('text=/hot\\.ts:\\d+/').first(), 120_000);
  const tab = page.locator('.tab', { hasText: /crew-workers-.*\.cpuprofile/ }).first();
  await tab.waitFor();
  await shot('1-viewer');
  const rows = await viewer.locator('body').innerText();
  // hotLoop at its line, or spin at its own once V8 has inlined hotLoop into it.
  const user = /(hotLoop)[^\n]*\n?[^\n]*hot\.ts:2|(spin)[^\n]*\n?[^\n]*hot\.ts:8/.exec(rows);
  assert.ok(user, `a user function of hot.ts is listed, at its own file and line:\n${rows}`);
  const order = user.index;
  for (const other of ['(idle)', '(program)'])
    if (rows.includes(other))
      assert.ok(order < rows.indexOf(other), `${user[1] ?? user[2]} is listed before ${other}:\n${rows}`);
  const written = readdirSync(join(w.dirs.workspace, '.crew', 'profiles'));
  for (const name of [/^crew-w1-.*\.cpuprofile$/, /^crew-w2-.*\.cpuprofile$/, /^crew-workers-.*\.cpuprofile$/])
    assert.ok(
      written.some((f) => name.test(f)),
      `${name} among ${written.join(', ')}`,
    );
  const mergedFile = written.find((f) => f.startsWith('crew-workers-'));
  const merged = JSON.parse(readFileSync(join(w.dirs.workspace, '.crew', 'profiles', mergedFile), 'utf8'));
  const tops = merged.nodes[0].children.map((id) => merged.nodes[id - 1].callFrame.functionName);
  assert.deepEqual(tops, ['(worker w1)', '(worker w2)']);
});

test(
  "the Profile button on a worker's lane in the cluster view profiles that worker alone",
  { timeout: 180_000 },
  async () => {
    const dir = join(w.dirs.workspace, '.crew', 'profiles');
    const before = new Set(readdirSync(dir));
    // Only the viewer this case opens is on screen.
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Crew: Show Cluster');
    const button = (f) => f.locator('.lane[data-worker="w1"] button.lane-profile');
    const view = await findFrame(page, button, 60_000);
    await shot('2-cluster-profile-button');
    await button(view).click();
    // The length is asked for as by the command, naming the worker.
    await page.locator('.quick-input-box input[placeholder="Profile w1 for how long?"]').waitFor();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: '1 s' }).first().click();
    await page
      .locator('.tab.active', { hasText: /crew-w1-.*\.cpuprofile/ })
      .first()
      .waitFor({ timeout: scaled(120_000) });
    // The viewer shows w1's own frames in hot.ts (hotLoop, or spin once V8 has inlined it).
    await findFrame(page, (f) => f.locator('text=/hot\\.ts:\\d+/').first(), 60_000);
    await shot('3-cluster-profile');
    const added = readdirSync(dir).filter((f) => !before.has(f));
    assert.ok(
      added.some((f) => /^crew-w1-.*\.cpuprofile$/.test(f)),
      `w1's profile among the files written: ${added.join(', ')}`,
    );
    assert.ok(!added.some((f) => /^crew-w2-/.test(f)), `w2 was not profiled: ${added.join(', ')}`);
    const mergedFile = added.find((f) => f.startsWith('crew-workers-'));
    const merged = JSON.parse(readFileSync(join(dir, mergedFile), 'utf8'));
    const tops = merged.nodes[0].children.map((id) => merged.nodes[id - 1].callFrame.functionName);
    assert.deepEqual(tops, ['(worker w1)']);
    // The cluster view and the profiles go, leaving the window as the other cases expect it.
    await runCommand(page, 'View: Close All Editors');
  },
);

test('a profile until stopped ends when its progress is cancelled, and opens', { timeout: 180_000 }, async () => {
  const before = readdirSync(join(w.dirs.workspace, '.crew', 'profiles')).length;
  await runCommand(page, 'Crew: Profile Workers');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Until stopped' }).first().click();
  const toast = page.locator('.notification-toast', { hasText: 'until stopped' }).first();
  await toast.waitFor();
  await shot('4-until-stopped');
  await toast.getByRole('button', { name: 'Cancel' }).click();
  // Three more files (each worker's and the merged one), the merged one open in the viewer.
  await until(() => readdirSync(join(w.dirs.workspace, '.crew', 'profiles')).length === before + 3, {
    timeoutMs: 60_000,
    what: 'the stopped profiles to be written',
  });
  await page
    .locator('.tab.active', { hasText: /crew-workers-.*\.cpuprofile/ })
    .first()
    .waitFor();
  // The viewer has drawn it (and taken the focus it takes as it opens).
  await findFrame(page, (f) => f.locator('text=(worker w2)').first(), 60_000);
});

test('Crew: Heap Snapshot writes a snapshot of the worker chosen and opens it', { timeout: 180_000 }, async () => {
  await runCommand(page, 'Crew: Heap Snapshot');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'w2' }).first().click();
  await page
    .locator('.tab', { hasText: /crew-w2-.*\.heapsnapshot/ })
    .first()
    .waitFor({ timeout: scaled(120_000) });
  const dir = join(w.dirs.workspace, '.crew', 'profiles');
  const file = readdirSync(dir).find((f) => /^crew-w2-.*\.heapsnapshot$/.test(f));
  const snapshot = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  assert.ok(snapshot.snapshot.node_count > 1000, `${snapshot.snapshot.node_count} nodes`);
  await findFrame(page, (f) => f.locator('text=/Object|system/').first(), 60_000);
  await shot('5-heap-snapshot');
});

/** The frame of the page in which `locate(frame)` is visible, once there is one. */
function findFrame(pg, locate, timeoutMs) {
  const visible = (f) =>
    locate(f)
      .isVisible()
      .catch(() => false);
  const visibleIn = async () => {
    // Not the workbench itself: its editor of hot.ts shows hotLoop too.
    for (const f of pg.frames()) if (f !== pg.mainFrame() && (await visible(f))) return f;
    return undefined;
  };
  return until(visibleIn, { timeoutMs, what: 'the profile viewer to show its table', everyMs: 250 });
}
