/**
 * *Crew: Inspect* and the Inspector view's own commands: close one inspection, clear them
 * all (their values are released on the workers), and ask again where a worker was busy.
 */
import * as vscode from 'vscode';
import type { CrewClient } from './client';
import { pathEndingAt } from './image-text';
import { InspectorView, type InspectorNode } from './inspector-view';

export const InspectorCommands = {
  Inspect: 'crew.inspect',
  Close: 'crew.closeInspection',
  Clear: 'crew.clearInspector',
  Refresh: 'crew.refreshInspector',
} as const;

export const INSPECTOR_VIEW = 'crewInspector';

/** The selection, or the property chain under the cursor (`crewBag.items`), in the active editor. */
function expressionAtCursor(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const { document, selection } = editor;
  if (!selection.isEmpty) return document.getText(selection).trim() || undefined;
  const word = document.getWordRangeAtPosition(selection.active, /[A-Za-z_$][\w$]*/);
  if (!word) return undefined;
  return pathEndingAt(document.lineAt(word.end.line).text.slice(0, word.end.character))?.join('.');
}

export function registerInspector(crew: CrewClient): vscode.Disposable[] {
  const view = new InspectorView(crew);
  const inspect = async (given?: unknown) => {
    if (crew.state !== 'running') {
      void vscode.window.showWarningMessage('Crew: Inspect needs a running master: run Crew: Start Master first.');
      return;
    }
    const expression =
      (typeof given === 'string' && given) ||
      expressionAtCursor() ||
      (await vscode.window.showInputBox({ prompt: 'Crew: an expression to inspect on the workers' }));
    if (!expression) return;
    const ready = crew.workers.workers.filter((w) => w.state === 'ready').map((w) => w.id);
    view.add(expression, ready.length > 0 ? ready : ['master']);
    await vscode.commands.executeCommand(`${INSPECTOR_VIEW}.focus`);
  };
  return [
    view,
    vscode.window.registerTreeDataProvider(INSPECTOR_VIEW, view),
    vscode.commands.registerCommand(InspectorCommands.Inspect, inspect),
    vscode.commands.registerCommand(InspectorCommands.Close, (node: InspectorNode) =>
      node?.type === 'root' ? view.close(node) : undefined,
    ),
    vscode.commands.registerCommand(InspectorCommands.Clear, () => view.close()),
    vscode.commands.registerCommand(InspectorCommands.Refresh, () => view.refresh()),
    // A master that stops takes every held value with it.
    crew.onDidChangeState((state) => (state === 'stopped' ? void view.close() : undefined)),
  ];
}
