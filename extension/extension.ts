/**
 * The Crew extension: evaluate TypeScript and JavaScript on a master and its workers from
 * the editor. This file only wires the parts together.
 */
import * as vscode from 'vscode';
import { registerActions } from './actions';
import { CrewClient } from './client';
import { ClusterView } from './cluster/cluster-view';
import { ClusterWatch } from './cluster/cluster-watch';
import { registerDebugWorkers } from './debugger/debug-workers';
import { registerDebugger } from './debugger/panel';
import { Commands, Views } from './commands';
import { Evaluations } from './evaluate';
import { registerImageEditor } from './image-editor';
import { registerInspector } from './inspector-commands';
import { registerProfile } from './profile-commands';
import { registerTrace } from './trace-commands';
import { CrewNotebookKernel, newNotebook } from './notebook/notebook-controller';
import { InlineResults } from './results';
import { StatusItem } from './status';
import { WorkersView } from './workers-view';

/** What the extension exposes to other extensions and to its own tests. */
export interface CrewApi {
  crew: CrewClient;
  results: InlineResults;
}

let active: CrewClient | undefined;

export function activate(context: vscode.ExtensionContext): CrewApi {
  // The audit trail and what workers print.
  const log = vscode.window.createOutputChannel('Crew');
  const crew = new CrewClient(context, log);
  active = crew;
  const results = new InlineResults();
  const evaluations = new Evaluations(crew, results);
  const status = new StatusItem();
  const workers = new WorkersView();
  const kernel = new CrewNotebookKernel(crew);
  const cluster = new ClusterWatch(crew);
  const clusterView = new ClusterView(context, crew, cluster);
  const refresh = () => {
    status.update(crew.state, crew.workers, crew.where, cluster.last);
    workers.update(crew.workers, crew.where);
  };
  context.subscriptions.push(
    log,
    crew,
    results,
    evaluations,
    status,
    workers,
    kernel,
    cluster,
    clusterView,
    cluster.onDidChange(refresh),
    vscode.commands.registerCommand(Commands.NewNotebook, () => newNotebook(kernel, context.extension.id)),
    vscode.commands.registerCommand(Commands.ShowCluster, () => clusterView.show()),
    vscode.window.registerTreeDataProvider(Views.Workers, workers),
    crew.onDidChangeState(refresh),
    crew.onDidChangeWorkers(refresh),
    crew.onOutput((o) => {
      if (o.stream === 'audit') log.appendLine(o.text);
      else log.append(o.text.replace(/^(?=.)/gm, `[${o.worker}] `) + (o.text.endsWith('\n') ? '' : '\n'));
    }),
    ...registerActions({ context, crew, evaluations, results, log }),
    ...registerImageEditor(crew),
    ...registerInspector(crew),
    ...registerProfile(context, crew),
    ...registerTrace(crew),
  );
  registerDebugger(context, crew);
  registerDebugWorkers(context, crew);
  return { crew, results };
}

/** Stops the master started by this window (its workers exit with it). */
export function deactivate(): Promise<void> | undefined {
  return active?.stop();
}
