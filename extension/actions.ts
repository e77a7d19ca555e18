/**
 * What the commands do. Each failure becomes a notification that says what went wrong and
 * what to do about it; the extension keeps working.
 */
import * as vscode from 'vscode';
import { ConnectWorkers, DisconnectWorkers, Interrupt } from '../protocol/messages/lsp-messages';
import type { CrewClient } from './client';
import { Commands, Views, type CommandId } from './commands';
import { settings } from './config';
import type { Evaluations } from './evaluate';
import { openRepl } from './repl';
import type { InlineResults } from './results';

export interface Parts {
  context: vscode.ExtensionContext;
  crew: CrewClient;
  evaluations: Evaluations;
  results: InlineResults;
  log: vscode.OutputChannel;
}

const ADDRESS = /^(\[[^\]]+\]|[^:\s]*):\d{1,5}$/;

/** Turns an error into advice: the reason, and the next step. */
export function advice(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown; data?: { code?: string } }).data?.code ?? (err as { code?: unknown }).code;
  if (code === 'CREW_AUTH_FAILED')
    return `${message}. Set crew.secretFile to the master's secret file (or CREW_SECRET), then try again.`;
  if (code === 'CREW_SECRET') return `${message}. Check crew.secretFile.`;
  return message;
}

async function report<T>(what: string, run: () => Promise<T>, log: vscode.OutputChannel): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    // Crew's own errors (with a stable code) explain themselves; others are bugs worth a stack.
    const expected =
      typeof (err as { code?: unknown }).code === 'string' || typeof (err as { code?: unknown }).code === 'number';
    log.appendLine(
      `Crew: ${what} failed: ` +
        `${err instanceof Error ? (expected ? err.message : (err.stack ?? err.message)) : String(err)}`,
    );
    const choice = await vscode.window.showErrorMessage(
      `Crew: ${what} failed: ${advice(err)}`,
      'Show Output',
      'Open Settings',
    );
    if (choice === 'Show Output') log.show(true);
    if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'crew.');
    return undefined;
  }
}

export function registerActions(p: Parts): vscode.Disposable[] {
  const { crew, log } = p;
  const actions: Partial<Record<CommandId, (...args: unknown[]) => Promise<unknown> | unknown>> = {
    [Commands.StartMaster]: () =>
      report(
        'starting the master',
        async () => {
          await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Window, title: 'Crew: starting the master' },
            () => crew.startMaster(),
          );
        },
        log,
      ),
    [Commands.ConnectToMaster]: async () => {
      const address = await vscode.window.showInputBox({
        title: 'Crew: Connect to Master',
        prompt: 'host:port of a running `crew lsp --port P`',
        value: settings(p.context.extensionPath).masterAddress || '127.0.0.1:4010',
        validateInput: (v) => (ADDRESS.test(v.trim()) ? undefined : 'host:port, e.g. 127.0.0.1:4010'),
      });
      if (address) await report(`connecting to the master at ${address}`, () => crew.attach(address.trim()), log);
    },
    [Commands.StopMaster]: () => crew.stop(),
    [Commands.ConnectWorkers]: async () => {
      const input = await vscode.window.showInputBox({
        title: 'Crew: Connect Workers',
        prompt: 'Listening workers as host:port (comma-separated), or a number of local workers to start',
        placeHolder: '127.0.0.1:4005, 10.0.0.7:4005   or   2',
        validateInput: (v) =>
          /^\d+$/.test(v.trim()) || v.split(',').every((a) => ADDRESS.test(a.trim()))
            ? undefined
            : 'host:port, host:port … or a number',
      });
      if (!input) return;
      await report(
        'connecting workers',
        async () => {
          await crew.ensureRunning();
          const text = input.trim();
          const r = await crew.request(
            ConnectWorkers.type,
            /^\d+$/.test(text) ? { local: Number(text) } : { addresses: text.split(',').map((a) => a.trim()) },
          );
          crew.setWorkers(r);
          for (const e of r.errors) void vscode.window.showWarningMessage(`Crew: ${e}`);
        },
        log,
      );
    },
    [Commands.DisconnectWorkers]: () =>
      report(
        'disconnecting workers',
        async () => crew.setWorkers(await crew.request(DisconnectWorkers.type, null)),
        log,
      ),
    [Commands.EvaluateOnMaster]: () => report('evaluating on the master', () => p.evaluations.evaluate('master'), log),
    [Commands.EvaluateOnAllWorkers]: () =>
      report('evaluating on all workers', () => p.evaluations.evaluate('all'), log),
    [Commands.EvaluateFileOnAllWorkers]: () =>
      report('evaluating the file on all workers', () => p.evaluations.evaluate('file'), log),
    [Commands.Interrupt]: () =>
      report(
        'interrupting',
        async () => {
          // Cancelling our own evaluations interrupts the workers running them; the request
          // also stops work started elsewhere (the REPL, another editor).
          const cancelled = p.evaluations.cancelAll();
          const { interrupted } = await crew.request(Interrupt.type, {});
          vscode.window.setStatusBarMessage(
            'Crew: interrupted ' +
              `${interrupted.join(', ') || (cancelled ? 'the evaluation' : 'nothing: no worker was busy')}`,
            4000,
          );
        },
        log,
      ),
    [Commands.InterruptWorker]: (node) =>
      report(
        'interrupting the worker',
        async () => {
          const id = (node as { worker?: { id: string } } | undefined)?.worker?.id;
          if (id) await crew.request(Interrupt.type, { worker: id });
        },
        log,
      ),
    [Commands.ShowAuditTrail]: () => log.show(true),
    [Commands.OpenRepl]: () => openRepl(crew, p.context.globalState),
    [Commands.ShowWorkers]: () => vscode.commands.executeCommand(`${Views.Workers}.focus`),
    [Commands.ClearResults]: () => p.results.clear(vscode.window.activeTextEditor?.document.uri),
  };
  return Object.entries(actions).map(([id, run]) => vscode.commands.registerCommand(id, run));
}
