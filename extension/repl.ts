/**
 * The Crew REPL: a terminal talking to the master's persistent context, where `pool` and
 * the API are in scope. It keeps a history across sessions, continues lines while brackets
 * are open, and shows what workers print, as SLIME's REPL does.
 */
import * as vscode from 'vscode';
import { EvalMaster, LspErrorCodes, type OutputParams } from '../protocol/messages/lsp-messages';
import type { CrewClient } from './client';
import { completeLine } from './repl-complete';

const PROMPT = 'crew> ';
const MORE = '  ... ';
const HISTORY_KEY = 'crew.replHistory';
const HISTORY_MAX = 500;

/** True while brackets, strings or template literals are still open. */
export function incomplete(code: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
  }
  return depth > 0 || quote === '`';
}

export class Repl implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private line = '';
  private cursor = 0;
  private pendingLines: string[] = [];
  private history: string[];
  private historyIndex: number;
  private busy?: vscode.CancellationTokenSource;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly crew: CrewClient,
    private readonly memento: vscode.Memento,
  ) {
    this.history = memento.get<string[]>(HISTORY_KEY, []);
    this.historyIndex = this.history.length;
    this.subscription = crew.onOutput((o) => this.output(o));
  }

  open(): void {
    this.write(
      'Crew REPL on the master, with `pool` and the API in scope. ' +
        'Try: await parallelMap(pool, (x) => `${x} * ${x}`, [1, 2, 3])\r\n',
    );
    this.write('Up/Down: history · Ctrl+C: cancel or clear · Ctrl+D: close\r\n');
    this.prompt();
  }

  close(): void {
    this.busy?.cancel();
    this.subscription.dispose();
  }

  handleInput(data: string): void {
    if (data === '\x03') return this.interrupt();
    if (data === '\x04' && this.line === '' && !this.busy) return this.closeEmitter.fire();
    if (this.busy) return;
    if (data === '\r') return void this.enter();
    if (data === '\t') return void this.complete();
    if (data === '\x7f')
      return this.edit(
        this.line.slice(0, Math.max(0, this.cursor - 1)) + this.line.slice(this.cursor),
        Math.max(0, this.cursor - 1),
      );
    if (data === '\x1b[A') return this.recall(-1);
    if (data === '\x1b[B') return this.recall(1);
    if (data === '\x1b[D') return this.edit(this.line, Math.max(0, this.cursor - 1));
    if (data === '\x1b[C') return this.edit(this.line, Math.min(this.line.length, this.cursor + 1));
    if (data === '\x1b[H' || data === '\x01') return this.edit(this.line, 0);
    if (data === '\x1b[F' || data === '\x05') return this.edit(this.line, this.line.length);
    if (data === '\x1b[3~')
      return this.edit(this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1), this.cursor);
    if (data.startsWith('\x1b')) return;
    // Typed or pasted text; a pasted newline ends the line.
    const [first, ...rest] = data.replace(/\r\n?/g, '\n').split('\n');
    this.edit(this.line.slice(0, this.cursor) + first + this.line.slice(this.cursor), this.cursor + first.length);
    if (rest.length > 0) {
      this.pendingLines.push(this.line, ...rest.slice(0, -1));
      this.line = rest[rest.length - 1];
      this.cursor = this.line.length;
      void this.enter();
    }
  }

  private async enter(): Promise<void> {
    this.write('\r\n');
    const code = [...this.pendingLines, this.line].join('\n');
    if (incomplete(code)) {
      this.pendingLines.push(this.line);
      this.line = '';
      this.cursor = 0;
      this.write(MORE);
      return;
    }
    this.pendingLines = [];
    this.line = '';
    this.cursor = 0;
    if (code.trim() === '') return this.prompt();
    this.remember(code);
    this.busy = new vscode.CancellationTokenSource();
    try {
      await this.crew.ensureRunning();
      const r = await this.crew.request(EvalMaster.type, { code, filename: 'repl.ts', colors: true }, this.busy.token);
      const o = r.outcomes[0];
      this.write(`${(o.ok ? o.value : `\x1b[31m${o.error.stack}\x1b[0m`).replace(/\n/g, '\r\n')}\r\n`);
    } catch (err) {
      const cancelled = (err as { code?: number }).code === LspErrorCodes.RequestCancelled;
      this.write(`\x1b[31m${cancelled ? 'cancelled' : (err as Error).message}\x1b[0m\r\n`);
    } finally {
      this.busy.dispose();
      this.busy = undefined;
      this.prompt();
    }
  }

  private interrupt(): void {
    if (this.busy) {
      this.busy.cancel();
      return;
    }
    this.write('^C\r\n');
    this.pendingLines = [];
    this.line = '';
    this.cursor = 0;
    this.prompt();
  }

  private remember(code: string): void {
    if (this.history[this.history.length - 1] !== code) this.history.push(code);
    this.history = this.history.slice(-HISTORY_MAX);
    this.historyIndex = this.history.length;
    void this.memento.update(HISTORY_KEY, this.history);
  }

  private recall(step: number): void {
    const i = Math.min(this.history.length, Math.max(0, this.historyIndex + step));
    if (i === this.historyIndex) return;
    this.historyIndex = i;
    const text = (this.history[i] ?? '').replace(/\n/g, ' ');
    this.edit(text, text.length);
  }

  /** Tab: completes from the live images (repl-complete.ts), listing the candidates when it cannot. */
  private async complete(): Promise<void> {
    const typed = this.line;
    const r = await completeLine(this.crew, typed, this.cursor);
    if (this.busy || this.line !== typed) return;
    if (r.listed) this.write(`\r\n${r.listed.join('   ')}\r\n`);
    this.edit(r.line, r.cursor);
  }

  private edit(line: string, cursor: number): void {
    this.line = line;
    this.cursor = cursor;
    const prompt = this.pendingLines.length > 0 ? MORE : PROMPT;
    this.write(`\r\x1b[2K${prompt}${line}\r\x1b[${prompt.length + cursor}C`);
  }

  private prompt(): void {
    this.write(PROMPT);
  }

  private output(o: OutputParams): void {
    if (o.stream === 'audit') return;
    // Print above the line being typed, then put the line back.
    const text = o.text.endsWith('\n') ? o.text.slice(0, -1) : o.text;
    const colour = o.stream === 'stderr' ? '\x1b[33m' : '\x1b[36m';
    this.write(
      `\r\x1b[2K${colour}[${o.worker}]\x1b[0m ${text.replace(/\n/g, `\r\n${colour}[${o.worker}]\x1b[0m `)}\r\n`,
    );
    if (!this.busy) this.edit(this.line, this.cursor);
  }

  private write(text: string): void {
    this.writeEmitter.fire(text);
  }
}

/** Opens (or shows) the REPL terminal. */
export function openRepl(crew: CrewClient, memento: vscode.Memento): vscode.Terminal {
  const existing = vscode.window.terminals.find((t) => t.name === 'Crew REPL');
  if (existing) {
    existing.show();
    return existing;
  }
  const terminal = vscode.window.createTerminal({
    name: 'Crew REPL',
    pty: new Repl(crew, memento),
    iconPath: new vscode.ThemeIcon('terminal'),
  });
  terminal.show();
  return terminal;
}
