/**
 * A cell's outputs: each worker's value labelled with its id (`w1: 4242`), equal values
 * folded (`42 · 2 workers`), plain objects with a JSON view beside their text, errors with
 * the cell's own frames, and a progress line while the cell runs.
 */
import * as vscode from 'vscode';
import type { EvalResult, TaskProgressParams, WorkerOutcome } from '../../protocol/messages/lsp-messages';
import { foldValues } from './cell-magic';

type Ok = Extract<WorkerOutcome, { ok: true }>;
type Failed = Extract<WorkerOutcome, { ok: false }>;

/** The label a value gets: none on the master, the worker's id, or how many workers agree. */
function label(where: EvalResult['where'], workers: string[]): string {
  if (where === 'master') return '';
  return workers.length === 1 ? workers[0] : `${workers.length} workers`;
}

function labelled(value: string, who: string, folded: boolean): string {
  if (!who) return value;
  if (folded) return value.includes('\n') ? `${who}:\n${value}` : `${value} · ${who}`;
  return value.includes('\n') ? `${who}:\n${value}` : `${who}: ${value}`;
}

/** Frames name the cell's document (a `vscode-notebook-cell:` address); the stack says "cell N" instead. */
function readableStack(stack: string, filename: string, cellName: string): string {
  return filename ? stack.split(filename).join(cellName) : stack;
}

/** One output per distinct value or error, in worker order. */
export function resultOutputs(result: EvalResult, filename: string, cellName: string): vscode.NotebookCellOutput[] {
  const outputs: vscode.NotebookCellOutput[] = [];
  const oks = result.outcomes.filter((o): o is Ok => o.ok);
  for (const { workers, first } of foldValues(oks)) {
    const who = label(result.where, workers);
    const items = [vscode.NotebookCellOutputItem.text(labelled(first.value, who, workers.length > 1))];
    if (first.json !== undefined) items.push(vscode.NotebookCellOutputItem.json(JSON.parse(first.json)));
    outputs.push(new vscode.NotebookCellOutput(items, { crew: { workers } }));
  }
  const errors = result.outcomes.filter((o): o is Failed => !o.ok);
  const byText = new Map<string, { workers: string[]; first: Failed }>();
  for (const e of errors) {
    const key = `${e.error.name}: ${e.error.message}`;
    const g = byText.get(key);
    if (g) g.workers.push(e.worker);
    else byText.set(key, { workers: [e.worker], first: e });
  }
  for (const { workers, first } of byText.values()) {
    const who = result.where === 'master' && workers[0] === 'master' ? '' : `${workers.join(', ')}: `;
    const err = first.error;
    const item = vscode.NotebookCellOutputItem.error({
      name: `${who}${err.name || 'Error'}${err.code ? ` [${err.code}]` : ''}`,
      message: err.message,
      stack: readableStack(err.stack, filename, cellName),
    });
    outputs.push(new vscode.NotebookCellOutput([item], { crew: { workers } }));
  }
  return outputs;
}

/** A request that failed as a whole (no master, cancelled, a bad worker name). */
export function failureOutput(name: string, message: string): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name, message, stack: '' })]);
}

/** `[#######.............] 350/1000 tasks  35%  2 workers  1.4 s`, for a map run from the cell. */
export function taskBar(p: TaskProgressParams): string {
  const pct = p.total > 0 ? p.done / p.total : 0;
  const width = 20;
  const filled = Math.round(pct * width);
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} tasks  ${Math.floor(pct * 100)}%  ` +
    `${p.workers} worker${p.workers === 1 ? '' : 's'}  ${(p.elapsedMs / 1000).toFixed(1)} s`
  );
}

/** `⋯ 1 of 2 workers done`, while workers are still running a cell. */
export function workersBar(done: number, total: number): string {
  return `⋯ ${done} of ${total} worker${total === 1 ? '' : 's'} done`;
}
