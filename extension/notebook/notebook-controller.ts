/**
 * The Crew kernel for Jupyter notebooks (`.ipynb`, which VS Code opens with its built-in
 * serializer): cells in JavaScript or TypeScript run on the master, on every worker (`%%all`)
 * or on one worker (`%%on w1`), through the same requests as inline evaluation. Cells run one
 * at a time, in the order they were asked for; output printed meanwhile streams into the
 * running cell. Interrupt cancels the running cell's request, so the master interrupts every
 * worker running it; a cell on the master also interrupts the workers it keeps busy.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import {
  EvalAllWorkers,
  EvalMaster,
  EvalOn,
  Interrupt,
  LspErrorCodes,
  Progress,
  TaskProgress,
  type EvalResult,
  type OutputParams,
} from '../../protocol/messages/lsp-messages';
import type { CrewClient } from '../client';
import { parseCell, type CellTarget } from './cell-magic';
import { failureOutput, resultOutputs, taskBar, workersBar } from './cell-output';

/** The controller's id; *Crew: New Notebook* selects it. */
export const CREW_KERNEL_ID = 'crew-kernel';

/** The cell being run now: where its output goes, and how to stop it. */
interface Running {
  execution: vscode.NotebookCellExecution;
  token: string;
  cancel: vscode.CancellationTokenSource;
  target: CellTarget;
  stream?: vscode.NotebookCellOutput;
  progress?: vscode.NotebookCellOutput;
}

export class CrewNotebookKernel implements vscode.Disposable {
  readonly controller: vscode.NotebookController;
  private readonly order = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();
  private running?: Running;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly crew: CrewClient) {
    this.controller = vscode.notebooks.createNotebookController(CREW_KERNEL_ID, 'jupyter-notebook', 'Crew');
    this.controller.supportedLanguages = ['typescript', 'javascript'];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = 'the master and its workers';
    this.controller.detail = 'A plain cell runs on the master; %%all on every worker; %%on w1 on one worker';
    this.controller.executeHandler = (cells, notebook) => this.enqueue(cells, notebook);
    this.controller.interruptHandler = () => this.interrupt();
    this.subscriptions = [
      crew.onOutput((o) => this.output(o)),
      crew.onNotification(Progress.type, (p) => {
        const r = this.running;
        if (r && p.token === r.token) this.showProgress(r, workersBar(p.done, p.total));
      }),
      crew.onNotification(TaskProgress.type, (p) => {
        const r = this.running;
        if (r && p.token === r.token) this.showProgress(r, taskBar(p));
      }),
    ];
  }

  private enqueue(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): void {
    for (const cell of cells) {
      // Created now, so that a queued cell shows as pending until its turn.
      const execution = this.controller.createNotebookCellExecution(cell);
      this.queue = this.queue.then(() => this.run(cell, notebook, execution));
    }
  }

  private async run(
    cell: vscode.NotebookCell,
    notebook: vscode.NotebookDocument,
    execution: vscode.NotebookCellExecution,
  ): Promise<void> {
    const key = notebook.uri.toString();
    const n = (this.order.get(key) ?? 0) + 1;
    this.order.set(key, n);
    execution.executionOrder = n;
    execution.start(Date.now());
    await execution.clearOutput();
    const parsed = parseCell(cell.document.getText());
    if ('error' in parsed) {
      await execution.replaceOutput(failureOutput('Crew', parsed.error));
      execution.end(false, Date.now());
      return;
    }
    const cancel = new vscode.CancellationTokenSource();
    const running: Running = { execution, token: randomUUID(), cancel, target: parsed.target };
    // Stopping the cell through its own token (VS Code's cancel) does what Interrupt does.
    const sub = execution.token.onCancellationRequested(() => this.interrupt());
    this.running = running;
    const filename = cellFilename(cell);
    const cellName = `cell ${cell.index + 1}`;
    let ok = false;
    try {
      await this.crew.ensureRunning();
      const result = await this.request(running, parsed.code, filename);
      const outputs = resultOutputs(result, filename, cellName);
      await execution.replaceOutput(running.stream ? [running.stream, ...outputs] : outputs);
      ok = result.outcomes.every((o) => o.ok);
    } catch (err) {
      const cancelled = err instanceof ResponseError && err.code === LspErrorCodes.RequestCancelled;
      const message = err instanceof Error ? err.message : String(err);
      const failure = failureOutput(cancelled ? 'Interrupted' : 'Crew', message);
      await execution.replaceOutput(running.stream ? [running.stream, failure] : [failure]);
    } finally {
      this.running = undefined;
      sub.dispose();
      cancel.dispose();
      execution.end(ok, Date.now());
    }
  }

  private request(r: Running, code: string, filename: string): Promise<EvalResult> {
    const params = { code, filename, line: 1, column: 1, progressToken: r.token };
    const t = r.target;
    if (t.kind === 'all') return this.crew.request(EvalAllWorkers.type, { ...params, replay: true }, r.cancel.token);
    if (t.kind === 'on') return this.crew.request(EvalOn.type, { ...params, worker: t.worker }, r.cancel.token);
    return this.crew.request(EvalMaster.type, params, r.cancel.token);
  }

  /** Stops the running cell on every worker running it; queued cells still run, as in Jupyter. */
  private interrupt(): void {
    const r = this.running;
    if (!r || r.cancel.token.isCancellationRequested) return;
    r.cancel.cancel();
    // Code on the master cannot be stopped, but the work it handed to workers can.
    if (r.target.kind === 'master' && this.crew.state === 'running')
      this.crew.request(Interrupt.type, {}).catch(() => undefined);
  }

  /** What the master and workers print goes to the running cell, each line marked with its worker. */
  private output(o: OutputParams): void {
    const r = this.running;
    if (!r || o.stream === 'audit') return;
    const text = o.worker === 'master' ? o.text : o.text.replace(/^(?=.)/gm, `[${o.worker}] `);
    const item =
      o.stream === 'stderr' ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text);
    if (r.stream) void r.execution.appendOutputItems(item, r.stream);
    else {
      r.stream = new vscode.NotebookCellOutput([item]);
      void r.execution.appendOutput(r.stream);
    }
  }

  private showProgress(r: Running, text: string): void {
    const item = vscode.NotebookCellOutputItem.text(text);
    if (r.progress) void r.execution.replaceOutputItems(item, r.progress);
    else {
      r.progress = new vscode.NotebookCellOutput([item], { crew: { progress: true } });
      void r.execution.appendOutput(r.progress);
    }
  }

  dispose(): void {
    this.running?.cancel.cancel();
    for (const s of this.subscriptions) s.dispose();
    this.controller.dispose();
  }
}

/** The name the master compiles a cell under: its extension picks TypeScript or JavaScript. */
function cellFilename(cell: vscode.NotebookCell): string {
  const ext = cell.document.languageId === 'typescript' ? '.ts' : '.js';
  return `${cell.document.uri.toString()}${ext}`;
}

/** *Crew: New Notebook*: an untitled notebook with one TypeScript cell and the Crew kernel selected. */
export async function newNotebook(kernel: CrewNotebookKernel, extensionId: string): Promise<void> {
  const cells = [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, '', 'typescript')];
  const data = new vscode.NotebookData(cells);
  const doc = await vscode.workspace.openNotebookDocument('jupyter-notebook', data);
  const editor = await vscode.window.showNotebookDocument(doc);
  kernel.controller.updateNotebookAffinity(doc, vscode.NotebookControllerAffinity.Preferred);
  await vscode.commands.executeCommand('notebook.selectKernel', { editor, id: CREW_KERNEL_ID, extension: extensionId });
}
