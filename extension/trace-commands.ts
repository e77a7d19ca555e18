/**
 * *Crew: Trace Function…* and *Crew: Untrace Function…*: a function named in the editor (or
 * typed) is traced on every worker, and later joiners; its calls fill the Trace view.
 */
import * as vscode from 'vscode';
import { TraceCalls, TraceFunction, UntraceFunction } from '../protocol/messages/lsp-trace-messages';
import type { CrewClient } from './client';
import { pathEndingAt } from './image-text';
import { TraceView } from './trace-view';

export const TraceCommands = {
  Trace: 'crew.traceFunction',
  Untrace: 'crew.untraceFunction',
  Clear: 'crew.clearTrace',
} as const;

export const TRACE_VIEW = 'crewTrace';

/** The property chain under the cursor, as a default name. */
function nameAtCursor(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const { document, selection } = editor;
  const word = document.getWordRangeAtPosition(selection.active, /[A-Za-z_$][\w$]*/);
  if (!word) return undefined;
  return pathEndingAt(document.lineAt(word.end.line).text.slice(0, word.end.character))?.join('.');
}

export function registerTrace(crew: CrewClient): vscode.Disposable[] {
  const view = new TraceView();
  /** What this window traces, for Untrace to offer. */
  const traced = new Set<string>();
  const needsMaster = () => {
    if (crew.state === 'running') return false;
    void vscode.window.showWarningMessage('Crew: tracing needs a running master: run Crew: Start Master first.');
    return true;
  };

  const trace = async () => {
    if (needsMaster()) return;
    const name = await vscode.window.showInputBox({
      prompt: 'Crew: the function to trace on every worker (a name, or a path such as lib.area)',
      value: nameAtCursor(),
    });
    if (!name) return;
    const r = await crew.request(TraceFunction.type, { name });
    traced.add(name.trim());
    await vscode.commands.executeCommand(`${TRACE_VIEW}.focus`);
    const where = [...r.traced, ...r.queued.map((w) => `${w} (after its task)`)];
    if (r.failed.length > 0)
      void vscode.window.showWarningMessage(
        `Crew: ${name} is not traced on ${r.failed.map((f) => `${f.worker}: ${f.message}`).join('; ')}`,
      );
    if (where.length > 0) void vscode.window.showInformationMessage(`Crew: tracing ${name} on ${where.join(', ')}`);
  };

  const untrace = async () => {
    if (needsMaster()) return;
    const name = await vscode.window.showQuickPick([...traced], { placeHolder: 'Crew: the function to untrace' });
    if (!name) return;
    traced.delete(name);
    const r = await crew.request(UntraceFunction.type, { name });
    void vscode.window.showInformationMessage(`Crew: ${name} untraced on ${r.untraced.join(', ') || 'no worker'}`);
  };

  return [
    view,
    vscode.window.registerTreeDataProvider(TRACE_VIEW, view),
    crew.onNotification(TraceCalls.type, (n) => view.add(n)),
    vscode.commands.registerCommand(TraceCommands.Trace, trace),
    vscode.commands.registerCommand(TraceCommands.Untrace, untrace),
    vscode.commands.registerCommand(TraceCommands.Clear, () => view.clear()),
    // A new master traces nothing until asked.
    crew.onDidChangeState((state) => (state === 'stopped' ? traced.clear() : undefined)),
  ];
}
