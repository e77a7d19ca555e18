// End-to-end, in a real VS Code (code-server in headless chromium), acting as a new user:
// install the .vsix, open a workspace with a .ts file, run "Crew: Start Master" from the
// palette, select an expression, run "Crew: Evaluate Selection on All Workers", and read the
// inline result and the status bar. Screenshots go to test-results/ for a person to look at.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { results, root, runCommand, lineMatching as waitForLine } from './code-server.mjs';
import { until } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { e2eBefore, e2eTest } from './explain.mjs';
import { windowMasters } from './masters.mjs';
import { closeWorkbench, openWorkbench, pointAt, selectLines, statusText } from './workbench.mjs';

const SAMPLE = `// Crew end-to-end sample
const answer: number = 6 * 7;
process.pid
answer
(null as any).boom
while (true) {}
`;

const LIB = `export function area(w: number, h: number): number {
  return w * h;
}
area(3, 4)
`;

let w;
let page;
let dirs;
const test = e2eTest(() => w);
const masters = windowMasters(() => w);

function shot(name) {
  return page.screenshot({ path: join(results, `e2e-${name}.png`) });
}

const lineMatching = (pattern, what, timeoutMs = 30_000) => waitForLine(page, pattern, what, timeoutMs);

/** Opens a workspace file from the Explorer, as a user does. */
async function openFile(name, firstLine) {
  await runCommand(page, 'View: Show Explorer');
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name });
  await row.waitFor();
  await row.click();
  await page.locator('.monaco-editor .view-lines', { hasText: firstLine }).waitFor();
}

/** Waits for the status bar's Crew item to match. */
async function statusMatching(pattern, timeoutMs = 60_000) {
  let text = '';
  await until(async () => pattern.test((text = await statusText(page))), {
    timeoutMs,
    what: `the status bar to match ${pattern}`,
    everyMs: 250,
  }).catch(() => {});
  assert.match(text, pattern);
  return text;
}

/** Waits for a notification toast whose text matches; returns its text. */
async function notification(pattern, timeoutMs = 30_000) {
  const toast = page
    .locator('.notification-toast, .notifications-toasts .monaco-list-row')
    .filter({ hasText: pattern })
    .first();
  await toast.waitFor({ timeout: scaled(timeoutMs) });
  return (await toast.textContent()) ?? '';
}

e2eBefore(
  () => w,
  'opening sample.ts in a new window',
  180_000,
  async () => {
    // Errors show inline when the debugger is off; debugger.e2e.mjs covers it on.
    w = {};
    await openWorkbench(
      {
        files: { 'sample.ts': SAMPLE, 'lib.ts': LIB },
        settings: { 'crew.debugOnError': false },
        viewport: { width: 1280, height: 800 },
      },
      w,
    );
    page = w.page;
    dirs = w.dirs;
    await openFile('sample.ts', 'Crew end-to-end sample');
  },
);

after(async () => {
  if (w) await shot('final').catch(() => {});
  await closeWorkbench(w);
});

test('Crew: Start Master starts a master with 2 workers, shown in the status bar', { timeout: 120_000 }, async () => {
  await runCommand(page, 'Crew: Start Master');
  let text = '';
  await until(async () => /2 workers/.test((text = await statusText(page))), {
    timeoutMs: 60_000,
    what: 'the status bar to show 2 workers',
    everyMs: 250,
  }).catch(() => {});
  await shot('1-started');
  assert.match(text, /Crew: 2 workers/, `status bar shows "${text}"`);
});

test("Evaluate Selection on All Workers shows both workers' values inline", { timeout: 120_000 }, async () => {
  await selectLines(page, 3);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  const line = await lineMatching(/^process\.pid.*⇒ w1: \d+ · w2: \d+/, 'the pids of both workers');
  await shot('2-pids-inline');
  const [, a, b] = /w1: (\d+) · w2: (\d+)/.exec(line).map(Number);
  assert.notEqual(a, b, 'two different worker processes');
  for (const pid of [a, b]) {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    assert.match(
      cmd,
      /cli\.js worker --connect 127\.0\.0\.1:\d+ --name local-\d/,
      `pid ${pid} is a Crew worker process`,
    );
  }
});

test('values that agree show once, with the worker count', { timeout: 120_000 }, async () => {
  await selectLines(page, 2);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  await lineMatching(/^const answer.*⇒ undefined {2}· 2 workers/, 'a declaration evaluates to undefined on both');
  await selectLines(page, 4);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  const line = await lineMatching(/^answer.*⇒ 42 {2}· 2 workers/, 'the same value from both workers');
  assert.ok(line);
});

test('an error shows in red with the workers that raised it', { timeout: 120_000 }, async () => {
  await selectLines(page, 5);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  const line = await lineMatching(
    /✖ w1, w2: TypeError: Cannot read properties of null \(reading 'boom'\)/,
    'the error from both workers',
  );
  assert.ok(line);
  const colour = await page.evaluate(() => {
    for (const el of document.querySelectorAll('.monaco-editor .view-lines span')) {
      const text = el.textContent + getComputedStyle(el, '::after').content;
      if (text.includes('✖'))
        return getComputedStyle(el.textContent.includes('✖') ? el : el, el.textContent.includes('✖') ? null : '::after')
          .color;
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
  await view.locator('.monaco-list-row', { hasText: 'w2' }).waitFor();
  const rows = await view.locator('.monaco-list-row').allTextContents();
  assert.ok(
    rows.some((r) => /^w1\s+local-\d/.test(r.trim())),
    `rows: ${rows.join(' | ')}`,
  );
  assert.ok(
    rows.some((r) => /^w2\s+local-\d/.test(r.trim())),
    `rows: ${rows.join(' | ')}`,
  );
  assert.ok(
    rows.some((r) => /master/.test(r)),
    `rows: ${rows.join(' | ')}`,
  );
  await shot('4-workers-view');
});

test("hovering an inline result shows every worker's full value", { timeout: 120_000 }, async () => {
  await page.keyboard.press('Escape');
  const target = page.locator('.monaco-editor .view-line', { hasText: 'process.pid' }).first();
  // Hover the evaluated code itself: its result's decoration covers it.
  await pointAt(page, target, 30);
  const hover = page.locator('.monaco-hover:visible', { hasText: 'w2' }).first();
  await hover.waitFor();
  const text = await hover.textContent();
  assert.match(text, /w1\s*\d+/);
  assert.match(text, /w2\s*\d+/);
  await shot('5-hover');
  await page.mouse.move(5, 400);
});

test('the REPL terminal evaluates on the master, with the pool in scope', { timeout: 120_000 }, async () => {
  await runCommand(page, 'Crew: Open REPL');
  const rows = page.locator('.terminal-wrapper.active .xterm-rows, .xterm-rows').first();
  await rows.waitFor();
  await page.waitForFunction(
    () => [...document.querySelectorAll('.xterm-rows')].some((r) => r.textContent.includes('crew>')),
    null,
    { timeout: scaled(30_000) },
  );
  await page.keyboard.type('await parallelMap(pool, (x) => `${x} * 10`, [1, 2, 3])');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('.xterm-rows')].some((r) =>
        r.textContent.replace(/\u00a0/g, ' ').includes('[ 10, 20, 30 ]'),
      ),
    null,
    { timeout: scaled(30_000) },
  );
  await page.keyboard.type('pool.size');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('.xterm-rows')].some((r) =>
        /pool\.size\s*2\s*crew>/.test(r.textContent.replace(/\u00a0/g, ' ')),
      ),
    null,
    { timeout: scaled(30_000) },
  );
  await shot('6-repl');
});

test('the audit trail is in the Crew output channel', { timeout: 120_000 }, async () => {
  await runCommand(page, 'Crew: Show Audit Trail');
  const line = await page.waitForFunction(
    () => {
      const text = [...document.querySelectorAll('.output-view .view-line, .panel .view-line')]
        .map((l) => l.textContent.replace(/\u00a0/g, ' '))
        .join('\n');
      return /\[A\] \S+ master connect worker=w1/.test(text) && text;
    },
    null,
    { timeout: scaled(30_000) },
  );
  assert.match(await line.jsonValue(), /\[A\] \S+ master state worker=w2 state=ready/);
  await shot('7-audit');
});

test(
  "Evaluate File on All Workers defines the file's exported functions everywhere",
  { timeout: 120_000 },
  async () => {
    await page.keyboard.press('Escape');
    await openFile('lib.ts', 'export function area');
    await runCommand(page, 'Crew: Evaluate File on All Workers');
    await lineMatching(/^area\(3, 4\).*⇒ 12 {2}· 2 workers/, "the file's last value from both workers");
    await shot('8-file');
  },
);

test(
  'a long evaluation shows progress and can be cancelled, which interrupts the workers',
  { timeout: 120_000 },
  async () => {
    await openFile('sample.ts', 'Crew end-to-end sample');
    await selectLines(page, 6);
    await runCommand(page, 'Crew: Evaluate Selection on All Workers');
    await lineMatching(/^while \(true\) \{\}.*⋯ {2}\(0 of 2 done\)/, 'the pending result');
    const toast = page.locator('.notification-toast', { hasText: 'Crew: evaluating on the workers' }).first();
    await toast.waitFor();
    await shot('8b-long-evaluation');
    await toast.getByRole('button', { name: 'Cancel' }).click();
    await lineMatching(
      /^while \(true\) \{\}.*✖ Crew: evaluation cancelled: interrupted w[12], w[12]/,
      'the cancellation',
    );
    // The workers are free again.
    await selectLines(page, 3);
    await runCommand(page, 'Crew: Evaluate Selection on All Workers');
    await lineMatching(/^process\.pid.*⇒ w1: \d+ · w2: \d+/, 'the workers answering after the interrupt');
  },
);

test('when the master crashes, the extension restarts it with its workers', { timeout: 180_000 }, async () => {
  const crashed = await masters.masterInUse();
  process.kill(crashed, 'SIGKILL');
  // A new master, with its workers: the status bar alone may still show the old ones.
  await masters.masterInUse(crashed);
  await openFile('sample.ts', 'Crew end-to-end sample');
  await selectLines(page, 4);
  await runCommand(page, 'Crew: Evaluate Selection on All Workers');
  // Fresh workers: the declaration evaluated before the crash is gone.
  await lineMatching(/^answer.*✖ w1, w2: ReferenceError: answer is not defined/, 'the fresh workers answer');
});

test(
  'attaching with a wrong secret says so and what to do; the right secret attaches',
  { timeout: 180_000 },
  async () => {
    const { spawn } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const wrong = join(dirs.base, 'other-secret');
    writeFileSync(wrong, 'a-different-secret-0123456789abcdef\n', { mode: 0o600 });
    const startMaster = (secretFile) =>
      new Promise((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [join(root, 'dist', 'cli.js'), 'lsp', '--port', '0', '--local', '1', '--secret-file', secretFile],
          { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_CONFIG_HOME: dirs.config } },
        );
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /listening for editors on (127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve({ child, address: m[1] });
        });
        child.once('exit', (code) => reject(new Error(`crew lsp exited with ${code}`)));
      });
    const other = await startMaster(wrong);
    const mine = await startMaster(join(dirs.config, 'crew', 'secret'));
    try {
      await connectTo(other.address);
      const text = await notification(/wrong or missing secret/);
      assert.match(text, /Set crew\.secretFile to the master's secret file/);
      // The refused attach leaves the running master as it was.
      await statusMatching(/^Crew: 2 workers/, 10_000);
      await shot('9-wrong-secret');
      await connectTo(mine.address);
      await statusMatching(new RegExp(`Crew @ ${mine.address.replace(/\./g, '\\.')}: 1 worker`), 60_000);
      await shot('10-attached');
      // The attached master goes: the extension says so, does not redial it, and shows no master.
      mine.child.kill();
      await notification(/closed the connection\. Run Crew: Connect to Master/);
      await statusMatching(/^Crew$/, 30_000);
    } finally {
      other.child.kill();
      mine.child.kill();
    }
  },
);

test(
  'a master that keeps crashing is restarted a bounded number of times, then the user is told why',
  { timeout: 300_000 },
  async (t) => {
    await runCommand(page, 'Notifications: Clear All Notifications');
    // Start Master replaces the master in use, which is not one of the crashes counted here.
    // (There is none when this case runs alone.)
    let last = masters.masterPids()[0];
    await runCommand(page, 'Crew: Start Master');
    for (let crash = 1; crash <= 5; crash++) {
      // Odd crashes: a master in use, restarted with its workers back (each time but the last). Even ones: a
      // master that dies as soon as it is started, before it has answered the extension, as one with a bad
      // setting does. Each counts once, and none leaves a master running beside the next (oneMaster).
      if (crash % 2) last = await masters.masterInUse(last);
      else if (!(await masters.heldAtInitialize((last = await masters.newMaster(last)))))
        t.diagnostic(`crash ${crash}: the master had read \`initialize\` before it was stopped`);
      process.kill(last, 'SIGKILL');
    }
    const text = await notification(/is not restarted again/, 90_000);
    assert.match(text, /the master stopped.*restarted 4 times in 3 minutes/s);
    await statusMatching(/^Crew$/, 30_000);
    await shot('11-gave-up');
    // The crashed masters' workers end with them; no restart is left running.
    await until(() => masters.crewProcesses().length === 0, {
      timeoutMs: 30_000,
      what: 'no crew lsp or worker of this window left running',
      everyMs: 250,
    }).catch((err) => {
      throw new Error(`${err.message}:\n${masters.crewProcesses().join('\n')}`);
    });
  },
);

test(
  'a master that cannot start gives a notification with the reason; the extension keeps working',
  { timeout: 180_000 },
  async () => {
    // A damaged installation: the bundled CLI is missing.
    const { renameSync } = await import('node:fs');
    const cli = join(
      dirs.extensions,
      readdirSync(dirs.extensions).find((d) => d.startsWith('crew.crew-vscode-')),
      'dist',
      'cli.js',
    );
    renameSync(cli, `${cli}.moved`);
    try {
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'Crew: Start Master');
      const text = await notification(/the crew CLI is not at/);
      assert.match(
        text,
        /Crew: starting the master failed: the crew CLI is not at \S+cli\.js\. Check the crew\.serverPath setting, or reinstall the extension\./,
      );
      await statusMatching(/^Crew$/, 10_000);
      await shot('12-cannot-start');
    } finally {
      renameSync(`${cli}.moved`, cli);
    }
    await runCommand(page, 'Crew: Start Master');
    await statusMatching(/^Crew: 2 workers/, 90_000);
  },
);

async function connectTo(address) {
  await runCommand(page, 'Crew: Connect to Master…');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(address);
  await page.keyboard.press('Enter');
}
