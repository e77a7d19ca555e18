/**
 * The Trace view, after SLIME's trace dialog: each call of a traced function, newest first,
 * with its worker, arguments, result or error, and duration. At most {@link MAX_CALLS} are
 * kept; calls the workers did not record (too many a second) are counted at the top.
 */
import * as vscode from 'vscode';
import type { TraceCallsParams, WorkerTraceCall } from '../protocol/messages/lsp-trace-messages';

/** Calls kept in the view; older ones go. */
export const MAX_CALLS = 500;

type TraceNode = { type: 'call'; call: WorkerTraceCall } | { type: 'dropped'; worker: string; count: number };

export class TraceView implements vscode.TreeDataProvider<TraceNode>, vscode.Disposable {
  private calls: WorkerTraceCall[] = [];
  private readonly dropped = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  /** Adds calls as the master reports them. */
  add(n: TraceCallsParams): void {
    for (const d of n.dropped) this.dropped.set(d.worker, (this.dropped.get(d.worker) ?? 0) + d.count);
    this.calls = [...n.calls.slice().reverse(), ...this.calls].slice(0, MAX_CALLS);
    this.changed.fire(undefined);
  }

  clear(): void {
    this.calls = [];
    this.dropped.clear();
    this.changed.fire(undefined);
  }

  getChildren(node?: TraceNode): TraceNode[] {
    if (node) return [];
    const dropped = [...this.dropped].map(([worker, count]): TraceNode => ({ type: 'dropped', worker, count }));
    return [...dropped, ...this.calls.map((call): TraceNode => ({ type: 'call', call }))];
  }

  getTreeItem(node: TraceNode): vscode.TreeItem {
    if (node.type === 'dropped') {
      const item = new vscode.TreeItem(`${node.worker}: ${node.count} calls not recorded`);
      item.description = 'a worker records a few hundred a second';
      item.iconPath = new vscode.ThemeIcon('info');
      return item;
    }
    const c = node.call;
    const item = new vscode.TreeItem(`${c.worker} · ${c.name}(${c.args})`);
    item.description = `${c.ok ? '⇒' : '✖'} ${c.value} · ${formatMs(c.ms)}`;
    item.tooltip = [
      `${c.worker} at ${new Date(c.at).toISOString()}`,
      `${c.name}(${c.args})`,
      `${c.ok ? 'returned' : 'threw'} ${c.value}`,
      `in ${formatMs(c.ms)}`,
    ].join('\n');
    item.iconPath = new vscode.ThemeIcon(c.ok ? 'pass' : 'error');
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function formatMs(ms: number): string {
  return ms < 1 ? `${ms.toFixed(3)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
