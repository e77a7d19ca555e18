/** The Workers view: each worker's host, state, current task and tasks done. */
import * as vscode from 'vscode';
import type { WorkerSummary, WorkersState } from '../protocol/messages/lsp-messages';

type Node =
  | { kind: 'worker'; worker: WorkerSummary }
  | { kind: 'detail'; label: string; value: string }
  | { kind: 'master'; state: WorkersState; where: string };

function icon(w: WorkerSummary): vscode.ThemeIcon {
  if (w.state === 'replaying') return new vscode.ThemeIcon('sync~spin');
  if (w.state === 'leaving') return new vscode.ThemeIcon('sign-out', new vscode.ThemeColor('charts.orange'));
  if (w.inFlight > 0) return new vscode.ThemeIcon('loading~spin', new vscode.ThemeColor('charts.yellow'));
  return new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('charts.green'));
}

export class WorkersView implements vscode.TreeDataProvider<Node> {
  private state: WorkersState = { started: false, workers: [] };
  private where = 'local';
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  update(state: WorkersState, where: string): void {
    this.state = state;
    this.where = where;
    this.changed.fire();
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      if (!this.state.started) return [];
      return [
        { kind: 'master', state: this.state, where: this.where },
        ...this.state.workers.map((worker): Node => ({ kind: 'worker', worker })),
      ];
    }
    if (node.kind !== 'worker') return [];
    const w = node.worker;
    return [
      { kind: 'detail', label: 'host', value: `${w.host} (${w.address}, pid ${w.pid})` },
      { kind: 'detail', label: 'state', value: w.inFlight > 0 ? `busy: ${w.inFlight} in flight` : w.state },
      { kind: 'detail', label: 'task', value: w.currentTask ?? '—' },
      { kind: 'detail', label: 'tasks done', value: String(w.tasksDone) },
      ...(w.slurm
        ? [{ kind: 'detail' as const, label: 'slurm', value: `job ${w.slurm.job} on node ${w.slurm.node}` }]
        : []),
    ];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'master') {
      const item = new vscode.TreeItem('master', vscode.TreeItemCollapsibleState.None);
      item.description =
        `${node.where === 'local' ? 'this machine' : node.where}` +
        `${node.state.listen ? ` · workers dial ${node.state.listen}` : ''}`;
      item.iconPath = new vscode.ThemeIcon('server');
      item.tooltip = 'The master: it sends your code to the workers, and evaluates it itself when there are none.';
      return item;
    }
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.description = node.value;
      item.tooltip = `${node.label}: ${node.value}`;
      return item;
    }
    const w = node.worker;
    const item = new vscode.TreeItem(`${w.id}  ${w.name}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `worker:${w.id}`;
    const where = w.slurm ? `${w.slurm.node} · job ${w.slurm.job}` : w.host;
    item.description = `${where} · ${w.inFlight > 0 ? 'busy' : w.state} · ${w.tasksDone} done`;
    item.tooltip = new vscode.MarkdownString(
      `**${w.id}** ${w.name}\n\n- host: ${w.host} (${w.address})\n- pid: ${w.pid}\n- state: ${w.state}\n` +
        `- in flight: ${w.inFlight}\n- current task: ${w.currentTask ?? 'none'}\n- tasks done: ${w.tasksDone}` +
        (w.slurm ? `\n- slurm: job ${w.slurm.job} on node ${w.slurm.node}` : ''),
    );
    item.iconPath = icon(w);
    item.contextValue = 'crewWorker';
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
