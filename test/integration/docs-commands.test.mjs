// The commands README.md and docs/ show, run as a reader would on one machine, and their
// output held against what the docs show beside them: the quick start at a real terminal,
// and every `crew run examples/…` with the output printed after it. What changes from run
// to run (times, ports, pids, which worker took a task, the order results arrive in) is
// not compared; every line the docs show must be there.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import { cli, root, SECRET, tempDir } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';
import { noTmux, startTerminal } from './terminal.mjs';

function markdownFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

const docs = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))].map((file) => ({
  name: relative(root, file),
  text: readFileSync(file, 'utf8'),
}));

/** Fenced blocks of a Markdown text: language, lines, and the line the block starts on. */
function blocks(text) {
  const found = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m; (m = re.exec(text));)
    found.push({ lang: m[1], lines: m[2].replace(/\n$/, '').split('\n'), start: m.index, end: m.index + m[0].length });
  return found;
}

/** A line the docs show, as a pattern: what varies between runs matches anything of its kind. */
function shownLine(line) {
  const pattern = line
    .trimEnd()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\d{4}-\d\d-\d\dT[\d:]+\\\.\d+Z/g, '\\S+')
    .replace(/\d+\\\.\d+ ms/g, '[\\d.]+ ms')
    .replace(/\b(bytes|port|pid)=\d+/g, '$1=\\d+')
    .replace(/\bw\d+\b/g, 'w\\d+');
  return new RegExp(`^${pattern}$`);
}

/**
 * `crew run examples/…` commands with the output shown for them: the lines after the
 * command in its own block, or else the plain block that follows (for the block's last command).
 */
function runExamples() {
  const found = [];
  for (const doc of docs) {
    const all = blocks(doc.text);
    all.forEach((block, i) => {
      if (block.lang !== 'sh') return;
      const commands = [];
      for (const line of block.lines) {
        const command = /^(?:\S+\$\s+)?crew (run examples\/\S+[^#]*?)\s*(?:#.*)?$/.exec(line);
        if (command) commands.push({ doc: doc.name, args: command[1].split(/\s+/), shown: [] });
        else if (commands.length && line.trim()) commands.at(-1).shown.push(line);
      }
      const next = all[i + 1];
      const last = commands.at(-1);
      // A plain block in the same section, at most a paragraph away, is the output.
      const between = next ? doc.text.slice(block.end, next.start) : '';
      if (last && !last.shown.length && next?.lang === '' && between.length < 300 && !/\n#/.test(between))
        last.shown = next.lines;
      found.push(...commands);
    });
  }
  return found;
}

/** Each line shown (but `...`) must be one of the lines printed. */
function missingLines(shown, printed) {
  const lines = printed.split('\n').map((l) => l.trimEnd());
  return shown.filter((line) => line.trim() !== '...' && !lines.some((l) => shownLine(line).test(l)));
}

/** Runs `crew` from the repository's root, as the docs' relative paths mean; killed by its pid if it outstays. */
function runFromRoot(args) {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, CREW_SECRET: SECRET, XDG_CONFIG_HOME: tempDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), scaled(60_000));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

const examples = runExamples();

test('the docs show crew run commands for the examples, with their output', () => {
  assert.ok(examples.length >= 4, `found ${examples.length}`);
  assert.ok(examples.filter((e) => e.shown.length > 0).length >= 4);
});

for (const example of examples.filter((e) => e.shown.length > 0)) {
  test(`${example.doc}: crew ${example.args.join(' ')}`, async () => {
    const r = await runFromRoot(example.args);
    assert.equal(r.code, 0, r.stderr);
    const missing = missingLines(example.shown, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(missing, [], `printed:\n${r.stdout}${r.stderr}`);
  });
}

/** The REPL sessions the docs show: ```js blocks of `crew>` lines, each with the lines it prints. */
function replSessions() {
  const sessions = [];
  for (const doc of docs)
    for (const block of blocks(doc.text)) {
      if (!block.lines[0]?.startsWith('crew> ')) continue;
      const steps = [];
      for (const line of block.lines)
        if (line.startsWith('crew> ')) steps.push({ input: line.slice(6), shown: [] });
        else steps.at(-1).shown.push(line);
      sessions.push({ doc: doc.name, steps });
    }
  return sessions;
}

test(
  'the quick start: npm start, and each line typed at the prompt prints what the README shows',
  {
    skip: noTmux,
  },
  async () => {
    const sessions = replSessions();
    const quickStart = sessions.find((s) => s.doc === 'README.md');
    assert.ok(quickStart, 'the README shows a crew> session');
    const start = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
    assert.match(start, /^node dist\/cli\.js master\b/);
    const term = startTerminal(start.replace(/^node dist\/cli\.js/, `${process.execPath} ${cli}`), {
      env: { XDG_CONFIG_HOME: tempDir() },
    });
    try {
      await term.waitFor(/^crew>$/m, 'the crew> prompt', scaled(30_000));
      for (const step of quickStart.steps) {
        const before = term.screen().split('\n').length;
        term.type(step.input);
        // The step is done when the prompt is back after what it printed.
        const screen = await term.waitFor(
          (s) => s.split('\n').length > before && /\ncrew>$/.test(s),
          `the prompt after ${step.input}`,
          scaled(30_000),
        );
        const printed = screen.split('\n').slice(before).join('\n');
        assert.deepEqual(missingLines(step.shown, printed), [], `${step.input} printed:\n${printed}`);
      }
    } catch (err) {
      throw new Error(`${err.message}; the terminal shows:\n${term.screen()}`, { cause: err });
    } finally {
      await term.stop(scaled(20_000));
    }
  },
);

test('every option the docs give a crew command is one that command takes', () => {
  const help = (args) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const common = help(['--help']);
  const helps = Object.fromEntries(
    ['master', 'worker', 'run', 'launch', 'lsp'].map((c) => [c, `${help([c, '--help'])}\n${common}`]),
  );
  const unknown = [];
  for (const doc of docs) {
    // A command as the docs write it, in a code span or a line of a block, up to a comment.
    const re = /crew (master|worker|run|launch|lsp)\b([^`\n#]*)/g;
    for (let m; (m = re.exec(doc.text));)
      for (const flag of m[2].match(/(?<![\w-])--[a-z][\w-]*/g) ?? [])
        if (!new RegExp(`${flag}(?![\\w-])`).test(helps[m[1]])) unknown.push(`${doc.name}: crew ${m[1]} ${flag}`);
  }
  assert.deepEqual(unknown, []);
  // `crew --help` gives each command's forms as the README's command line does.
  assert.match(common, /crew launch \(--ssh [^|)]*\| --slurm N\)/);
  assert.match(common, /crew run SCRIPT\.ts .*\[-- ARGS\]/);
});
