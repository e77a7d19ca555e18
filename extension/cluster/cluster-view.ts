/**
 * *Crew: Show Cluster*: a webview with the pool's throughput and queue, and a lane per
 * worker (its task stream, CPU and memory), redrawn with each of the master's once-a-second
 * samples. A lane's Profile button runs *Crew: Profile Workers* for that worker alone. The
 * page is bundled with uPlot (extension/dist/cluster-view.js).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { Interrupt, ListWorkers } from '../../protocol/messages/lsp-messages';
import type { CrewClient } from '../client';
import { ProfileCommands } from '../profile-commands';
import type { ClusterWatch } from './cluster-watch';
import type { FromPage, ToPage } from './page/page-messages';

export class ClusterView implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly crew: CrewClient,
    private readonly watch: ClusterWatch,
  ) {}

  /** Opens the view (or brings it forward), starting a master if none runs. */
  async show(): Promise<void> {
    if (this.panel) return this.panel.reveal();
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('crewCluster', 'Crew Cluster', vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [dist],
    });
    this.panel = panel;
    panel.webview.html = pageHtml(panel.webview, dist);
    const post = (m: ToPage) => void panel.webview.postMessage(m);
    const history = () => post({ type: 'history', everyMs: this.watch.everyMs, samples: this.watch.samples });
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((m: FromPage) => {
        if (m.type === 'ready') {
          history();
          post({ type: 'workers', workers: this.crew.workers.workers });
        } else if (m.type === 'interrupt') void this.interrupt(m.worker);
        else if (m.type === 'profile') void vscode.commands.executeCommand(ProfileCommands.ProfileWorkers, m.worker);
      }),
      this.watch.onDidChange((s) => {
        if (!s) return history();
        post({ type: 'sample', sample: s });
        // The pool says when workers change state, not how far each has got; a busy pool's details are read anew.
        if (panel.visible && this.crew.state === 'running')
          this.crew.request(ListWorkers.type, null).then(
            (w) => post({ type: 'workers', workers: w.workers }),
            () => undefined,
          );
      }),
      this.crew.onDidChangeWorkers((w) => post({ type: 'workers', workers: w.workers })),
      panel.onDidDispose(() => this.closed()),
    );
    if (this.crew.state !== 'running') await this.crew.ensureRunning();
  }

  private async interrupt(worker: string): Promise<void> {
    try {
      const { interrupted } = await this.crew.request(Interrupt.type, { worker });
      vscode.window.setStatusBarMessage(
        `Crew: interrupted ${interrupted.join(', ') || `nothing: ${worker} was idle`}`,
        4000,
      );
    } catch (err) {
      void vscode.window.showErrorMessage(`Crew: could not interrupt ${worker}: ${(err as Error).message}`);
    }
  }

  private closed(): void {
    this.panel = undefined;
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

function pageHtml(webview: vscode.Webview, dist: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'cluster-view.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'cluster-view.css'));
  return (
    `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; ` +
    `style-src ${webview.cspSource} 'unsafe-inline'; script-src ${webview.cspSource} 'nonce-${nonce}';">
<link rel="stylesheet" href="${style.toString()}">
<title>Crew Cluster</title>
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size);
    color: var(--vscode-foreground); padding: 8px 12px; }
  h2 { font-size: 1.1em; margin: 4px 0; }
  #summary { font-size: 1.2em; margin: 4px 0 8px; }
  .lane { display: flex; align-items: center; gap: 8px; cursor: pointer;
    border-bottom: 1px solid var(--vscode-panel-border); }
  .lane.selected { background: var(--vscode-list-inactiveSelectionBackground); }
  .lane-info { width: 280px; flex: none; font-family: var(--vscode-editor-font-family); white-space: pre; }
  .lane-chart { flex: 1; min-width: 0; overflow: hidden; }
  .lane .lane-profile { flex: none; margin: 0; }
  #details { margin-top: 10px; padding: 6px 8px; border: 1px solid var(--vscode-panel-border); }
  #details th { text-align: left; padding-right: 12px; color: var(--vscode-descriptionForeground);
    font-weight: normal; }
  button { background: var(--vscode-button-background); color: var(--vscode-button-foreground);
    border: none; padding: 4px 10px; margin-top: 6px; cursor: pointer; }
  .u-legend { color: var(--vscode-foreground); }
</style></head>
<body>
<div id="summary"></div>
<div id="pool"></div>
<h2>Task stream: tasks each worker finished per second, last minute (click a worker)</h2>
<div id="lanes"></div>
<div id="details" hidden><table><tbody id="details-rows"></tbody></table><button id="interrupt">Interrupt</button></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body></html>`
  );
}
