/**
 * The Crew Debugger: SLDB for VS Code. Each worker suspension forwarded by the master gets an
 * entry (a level) with its condition, restarts, backtrace, lazily expanded locals and an
 * evaluate-in-frame box. Everything goes through the language client; the editor never
 * talks to a worker.
 *
 * The `crew/debug*` notifications and requests are those of
 * protocol/messages/lsp-debug-messages.ts: the master's server/lsp/debug.ts sends the
 * suspensions that worker/debug/ reported, and passes the developer's choices here back to
 * the worker that is suspended. The page itself (webview.ts) speaks only to this panel.
 */
import * as vscode from 'vscode';
import { workerAttachConfiguration } from './debug-workers';
import {
  DebugAttach,
  DebugEvaluate,
  DebugList,
  DebugPaused,
  DebugProperties,
  DebugRestartRequest,
  DebugResumed,
  SetDebugOnError,
  type SuspensionInfo,
} from '../../protocol/messages/lsp-debug-messages';
import type { CrewClient } from '../client';
import { Commands } from '../commands';
import { debuggerHtml } from './webview';
import { debuggerAddress, masterHost } from './cdp-tunnel';

/** Messages from the webview. */
type FromView =
  | { type: 'properties'; reqId: number; id: string; objectId: string }
  | { type: 'evaluate'; reqId: number; id: string; frame: number; expression: string }
  | { type: 'restart'; reqId: number; id: string; restart: { kind: string; expression?: string }; frame?: number }
  | { type: 'open'; file: string; line: number; column: number }
  | { type: 'attach'; worker: string }
  | { type: 'ready' };

export class DebuggerPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private readonly entries = new Map<string, { info: SuspensionInfo; ended?: string }>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly crew: CrewClient) {
    this.subscriptions.push(
      crew.onNotification(DebugPaused.type, (info) => this.paused(info)),
      crew.onNotification(DebugResumed.type, ({ id, how }) => this.resumed(id, how)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('crew.debugOnError') || e.affectsConfiguration('crew.debugGraceMs'))
          void this.applySetting();
      }),
    );
  }

  /** Tells the master whether to suspend at errors, from `crew.debugOnError`, and picks up open suspensions. */
  async applySetting(): Promise<void> {
    const config = vscode.workspace.getConfiguration('crew');
    await this.crew.client.sendRequest(SetDebugOnError.type, {
      on: config.get<boolean>('debugOnError', true),
      graceMs: config.get<number>('debugGraceMs', 30000),
    });
    for (const info of await this.crew.client.sendRequest(DebugList.type))
      if (!this.entries.has(info.id)) this.paused(info);
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      'crew.debugger',
      'Crew Debugger',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, retainContextWhenHidden: true },
    );
    panel.webview.html = debuggerHtml(panel.webview.cspSource);
    panel.webview.onDidReceiveMessage((m: FromView) => void this.fromView(m));
    panel.onDidDispose(() => {
      this.panel = undefined;
    });
    this.panel = panel;
  }

  private paused(raw: SuspensionInfo): void {
    // Paths inside the workspace read better relative to it; the full path still opens the file.
    const short = (file: string) => (file.startsWith('/') ? vscode.workspace.asRelativePath(file) : file);
    const info: SuspensionInfo = {
      ...raw,
      condition: {
        ...raw.condition,
        form: raw.condition.form?.replace(/^(\S+?)(:\d+ )/, (_, file: string, rest: string) => short(file) + rest),
      },
      frames: raw.frames.map((f) => ({ ...f, display: short(f.file) })),
    };
    this.entries.set(info.id, { info });
    this.show();
    void this.panel?.webview.postMessage({ type: 'paused', info });
  }

  private resumed(id: string, how: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.ended = how;
    void this.panel?.webview.postMessage({ type: 'resumed', id, how });
  }

  private async fromView(m: FromView): Promise<void> {
    if (m.type === 'ready') {
      for (const { info, ended } of this.entries.values()) {
        void this.panel?.webview.postMessage({ type: 'paused', info });
        if (ended) void this.panel?.webview.postMessage({ type: 'resumed', id: info.id, how: ended });
      }
      return;
    }
    if (m.type === 'open') return this.open(m.file, m.line, m.column);
    if (m.type === 'attach') return this.attach(m.worker);
    try {
      let result: unknown;
      if (m.type === 'properties')
        result = await this.crew.client.sendRequest(DebugProperties.type, { suspension: m.id, objectId: m.objectId });
      else if (m.type === 'evaluate')
        result = await this.crew.client.sendRequest(DebugEvaluate.type, {
          suspension: m.id,
          frame: m.frame,
          expression: m.expression,
        });
      else
        result = await this.crew.client.sendRequest(DebugRestartRequest.type, {
          suspension: m.id,
          restart: m.restart as never,
          frame: m.frame,
        });
      void this.panel?.webview.postMessage({ type: 'reply', reqId: m.reqId, ok: true, result });
    } catch (err) {
      void this.panel?.webview.postMessage({ type: 'reply', reqId: m.reqId, ok: false, error: (err as Error).message });
    }
  }

  /**
   * Goes beyond SLDB: VS Code's own debugger attaches to the suspended worker's eval thread
   * through the master's proxy, so the native call stack, variables and debug console work.
   */
  async attach(worker: string): Promise<void> {
    try {
      const reply = await this.crew.client.sendRequest(DebugAttach.type, { worker });
      // A master on another host is reached through a pinned TLS relay on this one.
      const { address: websocketAddress } = await debuggerAddress(reply.websocketAddress, masterHost(this.crew.where));
      const ok = await vscode.debug.startDebugging(
        vscode.workspace.workspaceFolders?.[0],
        workerAttachConfiguration(worker, `Crew worker ${worker}`, websocketAddress),
      );
      if (!ok) void vscode.window.showWarningMessage(`Crew: VS Code's debugger did not attach to ${worker}.`);
    } catch (err) {
      void vscode.window.showErrorMessage(
        `Crew: cannot attach VS Code's debugger to ${worker}: ${(err as Error).message}`,
      );
    }
  }

  /** Opens a frame's file at its line, as clicking a frame in SLDB does. */
  private async open(file: string, line: number, column: number): Promise<void> {
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
      await vscode.window.showTextDocument(doc, {
        viewColumn: vscode.ViewColumn.One,
        selection: new vscode.Range(pos, pos),
      });
    } catch (err) {
      void vscode.window.showWarningMessage(`Crew: cannot open ${file}:${line}: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.panel?.dispose();
  }
}

/** Wires the Crew Debugger to the extension's language client: on each start it tells the master whether to debug. */
export function registerDebugger(context: vscode.ExtensionContext, crew: CrewClient): DebuggerPanel {
  const panel = new DebuggerPanel(crew);
  const apply = () =>
    void panel
      .applySetting()
      .catch(
        (err: Error) =>
          void vscode.window.showWarningMessage(`Crew: the debugger could not be switched on: ${err.message}`),
      );
  context.subscriptions.push(
    panel,
    crew.onDidChangeState((state) => {
      if (state === 'running') apply();
    }),
    vscode.commands.registerCommand(Commands.ShowDebugger, () => panel.show()),
  );
  if (crew.state === 'running') apply();
  return panel;
}
