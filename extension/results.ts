/**
 * Inline results, after Calva: the outcome of an evaluation appears after the evaluated
 * code; one value when every worker agrees, else a compact per-worker summary. Errors are
 * red and name their worker. Hovering the code or the result shows the full values.
 */
import * as vscode from 'vscode';
import type { EvalResult, WorkerOutcome } from '../protocol/messages/lsp-messages';
import { ContextKeys } from './commands';

/** Longest inline text, in characters; the hover has everything. */
const INLINE_CHARS = 160;

interface Shown {
  range: vscode.Range;
  ok: string;
  error: string;
  hover: vscode.MarkdownString;
}

/** The inline parts of a result: the values, and the errors. */
export function inlineText(result: EvalResult, pending = false, total?: number): { ok: string; error: string } {
  const oks = result.outcomes.filter((o): o is Extract<WorkerOutcome, { ok: true }> => o.ok);
  const errs = result.outcomes.filter((o): o is Extract<WorkerOutcome, { ok: false }> => !o.ok);
  let ok = '';
  if (oks.length > 0) {
    const distinct = new Set(oks.map((o) => o.summary));
    if (distinct.size === 1) {
      const who = result.where === 'master' ? 'master' : oks.length === 1 ? oks[0].worker : `${oks.length} workers`;
      ok = `⇒ ${oks[0].summary}  · ${who}`;
    } else ok = `⇒ ${oks.map((o) => `${o.worker}: ${o.summary}`).join(' · ')}`;
  }
  let error = '';
  if (errs.length > 0) {
    const byText = new Map<string, string[]>();
    for (const e of errs) {
      const text = e.error.name ? `${e.error.name}: ${e.error.message}` : e.error.message;
      byText.set(text, [...(byText.get(text) ?? []), e.worker]);
    }
    error = `✖ ${[...byText].map(([text, workers]) => `${workers.join(', ')}: ${text}`).join(' · ')}`;
  }
  if (pending) ok = `${ok || '⋯'}  (${result.outcomes.length} of ${total ?? '?'} done)`;
  return { ok: clip(ok), error: clip(error) };
}

function clip(text: string): string {
  return text.length > INLINE_CHARS ? `${text.slice(0, INLINE_CHARS - 1)}…` : text;
}

/** Every value and error, in full, for the hover. */
export function hoverText(result: EvalResult): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  for (const o of result.outcomes) {
    md.appendMarkdown(
      `**${o.worker}**${o.ok ? '' : ` — ${o.error.name}${o.error.code ? ` \`${o.error.code}\`` : ''}`}\n`,
    );
    md.appendCodeblock(o.ok ? o.value : o.error.stack, o.ok ? 'javascript' : 'text');
  }
  return md;
}

export class InlineResults implements vscode.Disposable {
  private readonly okType = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 1.5em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly errorType = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 1em', color: new vscode.ThemeColor('errorForeground') },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  /** Results by document, one per last line of evaluated code. */
  private readonly shown = new Map<string, Map<number, Shown>>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => this.edited(e)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.renderAll()),
      vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri)),
    ];
  }

  /** Shows a result (or a partial one, while workers are still running) after `range`. */
  show(document: vscode.TextDocument, range: vscode.Range, result: EvalResult, pending = false, total?: number): void {
    const key = document.uri.toString();
    const forDoc = this.shown.get(key) ?? new Map<number, Shown>();
    this.shown.set(key, forDoc);
    forDoc.set(range.end.line, { range, ...inlineText(result, pending, total), hover: hoverText(result) });
    this.render(key);
  }

  /** The inline text now shown at a line, for tests and commands. */
  textAt(document: vscode.TextDocument, line: number): string | undefined {
    const s = this.shown.get(document.uri.toString())?.get(line);
    return s ? [s.ok, s.error].filter(Boolean).join(' ') : undefined;
  }

  clear(uri?: vscode.Uri): void {
    if (uri) this.shown.delete(uri.toString());
    else this.shown.clear();
    this.renderAll();
  }

  private edited(e: vscode.TextDocumentChangeEvent): void {
    const forDoc = this.shown.get(e.document.uri.toString());
    if (!forDoc || e.contentChanges.length === 0) return;
    let entries = [...forDoc.values()];
    for (const c of e.contentChanges) {
      const delta = c.text.split('\n').length - 1 - (c.range.end.line - c.range.start.line);
      // A result describes the code as it was evaluated: editing that code removes it;
      // results below the edit move with their code.
      entries = entries
        .filter((s) => !(c.range.start.line <= s.range.end.line && c.range.end.line >= s.range.start.line))
        .map((s) =>
          s.range.start.line > c.range.end.line && delta !== 0
            ? { ...s, range: new vscode.Range(s.range.start.translate(delta), s.range.end.translate(delta)) }
            : s,
        );
    }
    forDoc.clear();
    for (const s of entries) forDoc.set(s.range.end.line, s);
    this.render(e.document.uri.toString());
  }

  private renderAll(): void {
    for (const editor of vscode.window.visibleTextEditors) this.render(editor.document.uri.toString());
    void vscode.commands.executeCommand(
      'setContext',
      ContextKeys.HasInlineResults,
      [...this.shown.values()].some((m) => m.size > 0),
    );
  }

  private render(key: string): void {
    const forDoc = [...(this.shown.get(key)?.values() ?? [])];
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== key) continue;
      const end = (s: Shown) => new vscode.Range(s.range.start, editor.document.lineAt(s.range.end.line).range.end);
      editor.setDecorations(
        this.okType,
        forDoc
          .filter((s) => s.ok)
          .map((s) => ({ range: end(s), hoverMessage: s.hover, renderOptions: { after: { contentText: s.ok } } })),
      );
      editor.setDecorations(
        this.errorType,
        forDoc
          .filter((s) => s.error)
          .map((s) => ({
            range: end(s),
            hoverMessage: s.ok ? undefined : s.hover,
            renderOptions: { after: { contentText: s.error } },
          })),
      );
    }
    void vscode.commands.executeCommand(
      'setContext',
      ContextKeys.HasInlineResults,
      [...this.shown.values()].some((m) => m.size > 0),
    );
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.okType.dispose();
    this.errorType.dispose();
  }
}
