/** The status bar item: the master's state and worker count; a click opens the Workers view. */
import * as vscode from 'vscode';
import type { ClusterSample } from '../protocol/messages/lsp-cluster-messages';
import type { WorkersState } from '../protocol/messages/lsp-messages';
import type { ClientState } from './client';
import { Commands } from './commands';

/** The cluster view's numbers in one line: `312 tasks/s · 40 queued · w1 95% CPU 81 MB · w2 …`. */
export function clusterLine(sample: ClusterSample | undefined): string {
  if (!sample) return '';
  const each = sample.workers.map(
    (w) =>
      `${w.id} ${w.cpu === undefined ? '–' : `${Math.round(w.cpu * 100)}%`} CPU ` +
      `${w.rssBytes === undefined ? '–' : `${Math.round(w.rssBytes / 1e6)} MB`}`,
  );
  return [`${sample.throughput} tasks/s`, `${sample.queued} queued`, ...each].join(' · ');
}

export function statusText(
  state: ClientState,
  workers: WorkersState,
  where: string,
  sample?: ClusterSample,
): { text: string; tooltip: string; command: string } {
  const at = where === 'local' ? '' : ` @ ${where}`;
  if (state === 'stopped')
    return {
      text: '$(circle-slash) Crew',
      tooltip: 'Crew: no master is running. Click to start one with local workers.',
      command: Commands.StartMaster,
    };
  if (state === 'starting')
    return {
      text: `$(sync~spin) Crew${at}: starting…`,
      tooltip: 'Crew: starting the master and its workers',
      command: Commands.ShowWorkers,
    };
  if (!workers.started)
    return {
      text: `$(server) Crew${at}: master only`,
      tooltip: 'Crew: the master runs with no pool; forms evaluate on the master.',
      command: Commands.ShowWorkers,
    };
  const ready = workers.workers.filter((w) => w.state === 'ready').length;
  const busy = workers.workers.filter((w) => w.inFlight > 0).length;
  const joining = workers.workers.length - ready;
  const parts = [`${ready} worker${ready === 1 ? '' : 's'}`];
  if (busy > 0) parts.push(`${busy} busy`);
  if (joining > 0) parts.push(`${joining} joining`);
  return {
    text: `$(server-process) Crew${at}: ${parts.join(' · ')}`,
    tooltip:
      'Crew: ' +
      (workers.workers.map((w) => `${w.id} ${w.name} (${w.state}${w.inFlight ? ', busy' : ''})`).join(', ') ||
        'no workers: forms evaluate on the master') +
      `.${sample ? `\n${clusterLine(sample)}` : ''}` +
      '\nClick to show the Workers view; Crew: Show Cluster draws the load.',
    command: Commands.ShowWorkers,
  };
}

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('crew.status', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'Crew';
    this.update('stopped', { started: false, workers: [] }, 'local');
    this.item.show();
  }

  update(state: ClientState, workers: WorkersState, where: string, sample?: ClusterSample): void {
    const s = statusText(state, workers, where, sample);
    this.item.text = s.text;
    this.item.tooltip = s.tooltip;
    this.item.command = s.command;
  }

  dispose(): void {
    this.item.dispose();
  }
}
