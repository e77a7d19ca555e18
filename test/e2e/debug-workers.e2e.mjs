// End-to-end, in a real VS Code (code-server in headless chromium): VS Code's own debugger on
// every worker. The developer sets a breakpoint with F9 on line 2 of work.ts, runs
// Crew: Debug Workers and Crew: Evaluate File on All Workers; the Call Stack shows both
// workers paused at work.ts line 2, Variables show the local, Step Over goes to line 3 with
// the new local's value (and the Debug Console evaluates in that frame), Continue on both shows
// the result inline; an error shows as an exception in work.ts's sibling file in both VS Code's
// Call Stack and the Crew Debugger, and ending it in either view ends it in the other.
// Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after } from 'node:test';
import { lineMatching, results, runCommand } from './code-server.mjs';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { callStackOf, callStackUntil as stackUntil } from './call-stack.mjs';
import { e2eBefore, e2eTest } from './explain.mjs';
import {
  breakpointAt,
  closeWorkbench,
  debuggerFrame,
  openFile,
  openWorkbench,
  startMasterFromPalette,
} from './workbench.mjs';

const WORK = `function work(n: number): number {
  const doubled = n * 2;
  const total = doubled + 1;
  return total;
}
work(20)
`;

const FAIL = `function fail(x: number): number {
  throw new RangeError(\`bad \${x}\`);
}
fail(3)
`;

let w;
let page;
const test = e2eTest(() => w);

const shot = (name) => page.screenshot({ path: join(results, `e2e-debug-workers-${name}.png`) });
const callStack = () => callStackOf(page);

/** The Call Stack's rows as `level expanded? text`, for messages when a step fails. */
const callStackDump = () =>
  callStack()
    .locator('.monaco-list-row')
    .evaluateAll((rows) =>
      rows.map(
        (r) =>
          `${r.getAttribute('aria-level')}${r.getAttribute('aria-expanded') === 'true' ? 'v' : ' '} ${r.textContent}`,
      ),
    )
    .catch(() => []);

/** The Call Stack's rows, as text, once `ok(rows)` holds. */
const callStackUntil = (ok, what, timeoutMs) => stackUntil(page, ok, what, timeoutMs);

/**
 * A worker's js-debug session in the Call Stack: unfolded, its thread (`Remote Process [0] « w1 (local-1)`);
 * folded, js-debug's parent session (`w1 (local-1)`).
 */
const sessionRow = (worker) =>
  callStack()
    .locator('.monaco-list-row', { hasText: new RegExp(`(^|« )${worker} \\(`) })
    .first();

/** Folds or unfolds a worker's frames, so the Call Stack (a list that shows what fits) holds the other's. */
async function unfold(worker, open) {
  const row = sessionRow(worker);
  if (((await row.getAttribute('aria-expanded')) === 'true') !== open) await row.locator('.monaco-tl-twistie').click();
}

/**
 * Waits until `worker`'s thread shows paused, with its session unfolded and the other's folded:
 * each try folds them again, as VS Code may unfold a session whose pause comes later.
 */
async function pausedUnfolded(worker) {
  let rows = [];
  await until(
    async () => {
      for (const other of ['w1', 'w2']) await unfold(other, other === worker).catch(() => {});
      rows = await callStackDump();
      return rows.some((r) => new RegExp(`« ${worker} .*paused`, 'i').test(r));
    },
    { timeoutMs: 60_000, what: `${worker} paused on the exception, unfolded`, everyMs: 250 },
  ).catch((err) => {
    throw new Error(`${err.message}; the Call Stack shows (level, v when unfolded, text):\n${rows.join('\n')}`);
  });
}

/** Presses one of a session row's own buttons (Step Over, Continue): it acts on that worker, whatever has focus. */
async function sessionAction(worker, action) {
  const row = sessionRow(worker);
  await row.hover();
  await row.locator(`.action-label[aria-label^="${action}"]`).click();
}

/** The Variables view's rows, as text, once one matches `pattern`. */
async function variable(pattern, what) {
  let rows = [];
  await until(
    async () => {
      rows = await page
        .locator('.debug-variables .monaco-list-row')
        .allTextContents()
        .catch(() => []);
      return rows.some((r) => pattern.test(r));
    },
    { timeoutMs: 60_000, what, everyMs: 250 },
  ).catch((err) => {
    throw new Error(`${err.message}; Variables shows:\n${rows.join('\n')}`);
  });
}

e2eBefore(
  () => w,
  'opening work.ts and starting the master',
  240_000,
  async () => {
    w = {};
    await openWorkbench({ files: { 'work.ts': WORK, 'fail.ts': FAIL }, viewport: { width: 1400, height: 2000 } }, w);
    page = w.page;
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'work.ts' });
    await row.waitFor({ timeout: scaled(30_000) });
    await openFile(page, 'work.ts', 'function work');
    await startMasterFromPalette(page);
  },
);

after(async () => {
  if (w) await shot('final').catch(() => {});
  await closeWorkbench(w);
});

test(
  'a gutter breakpoint pauses every worker at the user line; Variables, Step Over, Continue, the result inline',
  { timeout: 400_000 },
  async () => {
    await breakpointAt(page, 2);

    await runCommand(page, 'Crew: Debug Workers');
    await runCommand(page, 'View: Show Run and Debug');
    const sessions = await callStackUntil(
      (rows) => rows.filter((r) => /\bw\d\b/.test(r)).length >= 2,
      'a child session per worker under Crew',
    );
    assert.ok(
      sessions.some((r) => /^Crew/.test(r.trim())),
      `the parent session is named Crew: ${sessions.join(' | ')}`,
    );
    await shot('1-attached');

    await page.locator('.monaco-editor .view-line', { hasText: 'function work' }).first().click();
    await runCommand(page, 'Crew: Evaluate File on All Workers');
    const paused = await callStackUntil(
      (rows) => rows.some((r) => /paused on breakpoint/i.test(r)) && rows.some((r) => /work\.ts\s*2:\d+/.test(r)),
      'a worker paused at the breakpoint at work.ts line 2',
    );
    // Each worker is unfolded in turn to read its own state: a folded session shows js-debug's
    // parent session, which has no thread and reads "Running".
    for (const worker of ['w1', 'w2']) {
      for (const other of ['w1', 'w2']) await unfold(other, other === worker);
      await callStackUntil(
        (rows) => rows.some((r) => new RegExp(`« ${worker} .*paused on breakpoint`, 'i').test(r)),
        `${worker} paused at the breakpoint, unfolded`,
      );
    }
    assert.ok(!paused.some((r) => /#crew/.test(r)), `frames are the user's file, not a form: ${paused.join(' | ')}`);
    // Crew's own frames below the user's (its evaluator, the thread's task loop) are library
    // code: folded with Node's into a "Show … More" row, or dimmed where one shows alone.
    await callStackUntil((rows) => rows.some((r) => /Show \d+ More|\bpump\b/.test(r)), 'the frames below the form');
    const crewFrames = await callStack()
      .locator('.monaco-list-row .stack-frame', { hasText: /Evaluator\.(invoke|run)|\bpump\b/ })
      .evaluateAll((frames) => frames.map((f) => ({ text: f.textContent, dimmed: f.classList.contains('disabled') })));
    assert.ok(
      crewFrames.every((f) => f.dimmed),
      `Crew's frames are folded or dimmed: ${JSON.stringify(crewFrames)}; the Call Stack shows:\n` +
        (await callStackDump()).join('\n'),
    );
    const userFrame = callStack()
      .locator('.monaco-list-row .stack-frame', { hasText: /work\.ts\s*2:\d+/ })
      .first();
    assert.equal(
      await userFrame.evaluate((f) => f.classList.contains('disabled')),
      false,
      'the user frame is not dimmed',
    );
    await variable(/^n\s*[:=]?\s*20$/, 'Variables to show n: 20');
    await shot('2-paused-at-breakpoint');

    // Step Over on w1 only, with its session row's own button: line 3, with the new local.
    await unfold('w2', false);
    await unfold('w1', true);
    await sessionAction('w1', 'Step Over');
    await callStackUntil((rows) => rows.some((r) => /work\.ts\s*3:\d+/.test(r)), 'w1 stepped to line 3');
    // Variables follow the frame in focus, which a session row's button does not move: pick w1's.
    await callStack()
      .locator('.monaco-list-row', { hasText: /work\.ts\s*3:\d+/ })
      .first()
      .click();
    await variable(/^doubled\s*[:=]?\s*40$/, 'Variables to show doubled: 40');
    // The Debug Console evaluates in the selected frame, on that worker.
    await page.locator('.repl-input-wrapper .monaco-editor').click();
    await page.keyboard.type('doubled * 3 + n');
    await page.keyboard.press('Enter');
    await page
      .locator('.repl .monaco-list-row', { hasText: /^\s*140\s*$/ })
      .first()
      .waitFor({ timeout: scaled(30_000) });
    await shot('3-stepped');

    // Continue each worker from its own session row. A folded session shows js-debug's parent
    // session, which has no thread and reads "Running": each is unfolded to reach its paused thread.
    for (const worker of ['w1', 'w2']) {
      for (const other of ['w1', 'w2']) await unfold(other, other === worker);
      await callStackUntil(
        (rows) => rows.some((r) => new RegExp(`« ${worker} .*paused`, 'i').test(r)),
        `${worker} paused, unfolded`,
      );
      await sessionAction(worker, 'Continue');
    }
    await lineMatching(page, /⇒ 41 {2}· 2 workers/, 'the result of both workers inline', 60_000).catch(async (err) => {
      throw new Error(`${err.message}; the Call Stack shows:\n${(await callStackDump()).join('\n')}`);
    });
    await shot('5-continued');
  },
);

test(
  'an error shows as an exception in the user file, in the Call Stack and in the Crew Debugger',
  { timeout: 300_000 },
  async () => {
    await openFile(page, 'fail.ts', 'function fail');
    await runCommand(page, 'Crew: Evaluate File on All Workers');
    const view = await debuggerFrame(page);
    const entry = view.locator('.crew-entry').first();
    await entry.locator('.crew-condition', { hasText: 'RangeError: bad 3' }).waitFor({ timeout: scaled(60_000) });
    assert.match(await entry.locator('.crew-frame').first().textContent(), /fail\s+fail\.ts:2$/);
    // Run and Debug is still the side bar's view from the case above (see the next case).
    const rows = await callStackUntil(
      (r) => r.filter((x) => /fail\.ts\s*2:\d+/.test(x)).length >= 1 && r.some((x) => /paused on exception/i.test(x)),
      'a worker paused on the exception at fail.ts line 2',
    );
    assert.ok(!rows.some((r) => /debugger statement/i.test(r)), rows.join(' | '));
    await shot('6-exception-both-views');

    // Abort in the panel, for both workers: VS Code's debugger sees them go on.
    await entry.locator('button[data-kind="abort"]').click();
    await callStackUntil((r) => !r.some((x) => /paused on exception/i.test(x)), 'no worker paused after Abort');
    await lineMatching(page, /^fail\(3\).*RangeError: bad 3/, 'the aborted call fails inline with its error');
  },
);

test("Continue in VS Code's debugger ends the Crew Debugger's suspension too", { timeout: 300_000 }, async () => {
  await page.locator('.monaco-editor .view-line', { hasText: 'function fail' }).first().click();
  await runCommand(page, 'Crew: Evaluate File on All Workers');
  const view = await debuggerFrame(page);
  const live = view.locator('.crew-entry:not(.ended)');
  await live.first().waitFor({ timeout: scaled(60_000) });
  // Run and Debug is still the side bar's view from the cases above: no palette now, as the
  // workers' pauses take the focus (a command typed then could land in the editor).
  for (const worker of ['w1', 'w2']) {
    await pausedUnfolded(worker);
    await sessionAction(worker, 'Continue');
  }
  await until(async () => (await live.count()) === 0, {
    timeoutMs: 60_000,
    what: 'the Crew Debugger to show no live suspension',
  });
  await callStackUntil((rows) => !rows.some((r) => /paused/i.test(r)), 'no worker paused in VS Code either');
  await lineMatching(page, /^fail\(3\).*(w1, w2|w2, w1): RangeError: bad 3/, 'the error inline, from both workers');
  await shot('7-continued-in-vscode');
});
