/**
 * The evaluation commands: the selection (or the line) on the master or on every worker,
 * and the whole file on every worker, replayed to workers that join later. Results appear
 * inline as workers finish; a long evaluation offers a Cancel button, which cancels the
 * request (LSP cancellation), and the master interrupts the workers running it.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import {
  EvalAllWorkers,
  EvalMaster,
  LspErrorCodes,
  Progress,
  type EvalParams,
  type EvalResult,
  type ProgressParams,
} from '../protocol/messages/lsp-messages';
import type { CrewClient } from './client';
import type { InlineResults } from './results';

/** After this long, an evaluation shows a notification with a Cancel button. */
const SLOW_MS = 1500;

export type Target = 'master' | 'all' | 'file';

/** The code to evaluate and where it sits: the selection, else the current line, or the file. */
export function formAt(
  editor: vscode.TextEditor,
  target: Target,
): { params: EvalParams; range: vscode.Range } | undefined {
  const doc = editor.document;
  let range: vscode.Range;
  if (target === 'file') {
    let last = doc.lineCount - 1;
    while (last > 0 && doc.lineAt(last).isEmptyOrWhitespace) last--;
    range = new vscode.Range(0, 0, last, doc.lineAt(last).text.length);
  } else range = editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : editor.selection;
  let code = doc.getText(range);
  if (code.trim() === '') return undefined;
  if (target === 'file') code = withoutExports(code);
  return {
    params: { code, filename: filenameOf(doc), line: range.start.line + 1, column: range.start.character + 1 },
    range,
  };
}

/**
 * A file is evaluated as a script, so `export` before a declaration is dropped (blanked, so
 * that lines and columns still match the file); the declaration stays defined everywhere.
 */
export function withoutExports(code: string): string {
  return code.replace(
    /^([ \t]*)(export[ \t]+(?:default[ \t]+)?)(?=(?:async[ \t]+)?function\b|class\b|const\b|let\b|var\b|interface\b|type\b|enum\b|abstract\b)/gm,
    (_m, indent: string, kw: string) => indent + ' '.repeat(kw.length),
  );
}

/** The file name the master compiles with; its extension decides TypeScript or JavaScript. */
function filenameOf(doc: vscode.TextDocument): string {
  if (doc.uri.scheme === 'file') return doc.uri.fsPath;
  const ext = /typescript/.test(doc.languageId) ? '.ts' : '.js';
  return doc.uri.path.endsWith(ext) ? doc.uri.toString() : `${doc.uri.toString()}${ext}`;
}

export class Evaluations implements vscode.Disposable {
  /** Evaluations in flight, by progress token; Interrupt cancels them all. */
  private readonly running = new Map<
    string,
    { cancel: vscode.CancellationTokenSource; onProgress(p: ProgressParams): void }
  >();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly crew: CrewClient,
    private readonly results: InlineResults,
  ) {
    this.subscription = crew.onNotification(Progress.type, (p) => this.running.get(p.token)?.onProgress(p));
  }

  /** Evaluates in the active editor and shows the result inline. */
  async evaluate(target: Target): Promise<EvalResult | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage('Crew: open a file and select code to evaluate.');
      return undefined;
    }
    const form = formAt(editor, target);
    if (!form) {
      void vscode.window.showWarningMessage(
        'Crew: nothing to evaluate here: select some code, or put the cursor on a line with code.',
      );
      return undefined;
    }
    await this.crew.ensureRunning();
    const doc = editor.document;
    const token = randomUUID();
    const cancel = new vscode.CancellationTokenSource();
    const partial: EvalResult = { where: target === 'master' ? 'master' : 'workers', outcomes: [] };
    const total =
      target === 'master' ? 1 : Math.max(1, this.crew.workers.workers.filter((w) => w.state === 'ready').length);
    this.results.show(doc, form.range, partial, true, total);
    this.running.set(token, {
      cancel,
      onProgress: (p) => {
        if (p.outcome) partial.outcomes.push(p.outcome);
        this.results.show(doc, form.range, partial, p.done < p.total, p.total);
      },
    });
    const slow = setTimeout(() => this.offerCancel(cancel, target), SLOW_MS);
    try {
      const params = { ...form.params, progressToken: token };
      const result =
        target === 'master'
          ? await this.crew.request(EvalMaster.type, params, cancel.token)
          : await this.crew.request(EvalAllWorkers.type, { ...params, replay: target === 'file' }, cancel.token);
      this.results.show(doc, form.range, result);
      return result;
    } catch (err) {
      this.failed(doc, form.range, err);
      return undefined;
    } finally {
      clearTimeout(slow);
      this.running.delete(token);
      cancel.dispose();
    }
  }

  /** Cancels every evaluation in flight; returns how many there were. */
  cancelAll(): number {
    for (const r of this.running.values()) r.cancel.cancel();
    return this.running.size;
  }

  private offerCancel(cancel: vscode.CancellationTokenSource, target: Target): void {
    if (cancel.token.isCancellationRequested) return;
    const where = target === 'master' ? 'on the master' : 'on the workers';
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Crew: evaluating ${where}…`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        return new Promise<void>((resolve) => {
          const done = setInterval(() => {
            if (!this.isRunning(cancel)) {
              clearInterval(done);
              resolve();
            }
          }, 200);
        });
      },
    );
  }

  private isRunning(cancel: vscode.CancellationTokenSource): boolean {
    return [...this.running.values()].some((r) => r.cancel === cancel);
  }

  private failed(doc: vscode.TextDocument, range: vscode.Range, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const cancelled = err instanceof ResponseError && err.code === LspErrorCodes.RequestCancelled;
    this.results.show(doc, range, {
      where: 'master',
      outcomes: [{ worker: 'Crew', ok: false, error: { name: '', message, frames: [], stack: message } }],
    });
    if (!cancelled) void vscode.window.showErrorMessage(`Crew: the evaluation failed: ${message}`);
  }

  dispose(): void {
    this.cancelAll();
    this.subscription.dispose();
  }
}
