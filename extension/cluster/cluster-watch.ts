/**
 * The editor's subscription to the master's cluster samples: on while a master runs (the
 * status bar's tooltip and the cluster view both read it), renewed after a restart. The
 * master sends a second's aggregate, never single tasks.
 */
import * as vscode from 'vscode';
import { ClusterSampleNote, WatchCluster, type ClusterSample } from '../../protocol/messages/lsp-cluster-messages';
import type { CrewClient } from '../client';
import { LANE_SECONDS } from './page/page-messages';

export class ClusterWatch implements vscode.Disposable {
  /** The last minute of samples, oldest first. */
  samples: ClusterSample[] = [];
  everyMs = 1000;
  private readonly emitter = new vscode.EventEmitter<ClusterSample | undefined>();
  /** A new sample arrived, or (undefined) the history was replaced. */
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly crew: CrewClient) {
    this.subscriptions = [
      crew.onNotification(ClusterSampleNote.type, (s) => {
        this.samples = [...this.samples, s].slice(-LANE_SECONDS);
        this.emitter.fire(s);
      }),
      crew.onDidChangeState((state) => {
        if (state === 'running') void this.start();
        else if (state === 'stopped') this.reset();
      }),
    ];
    if (crew.state === 'running') void this.start();
  }

  /** The newest sample, if any. */
  get last(): ClusterSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  private async start(): Promise<void> {
    try {
      const history = await this.crew.request(WatchCluster.type, { watch: true });
      this.everyMs = history.everyMs;
      this.samples = history.samples.slice(-LANE_SECONDS);
      this.emitter.fire(undefined);
    } catch {
      // An older master without the cluster feed, or one that went away: the view says it has no samples.
    }
  }

  private reset(): void {
    this.samples = [];
    this.emitter.fire(undefined);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
  }
}
