/**
 * The one language client of the extension, and how it reaches a master: by starting `crew lsp --stdio` as a child
 * process, or by attaching to a running `crew lsp --port` over TCP, as SLIME's `slime-connect` does. Other parts (the
 * views, the REPL, a debugger panel) import this module and use {@link CrewClient}'s requests and events.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import * as vscode from 'vscode';
import { LanguageClient, State, type StreamInfo } from 'vscode-languageclient/node';
import type { CancellationToken, NotificationType, RequestParam, RequestType } from 'vscode-jsonrpc';
import { crewError, ErrorCodes } from '../protocol/errors';
import {
  ConnectWorkers,
  ListWorkers,
  Output,
  WorkersChanged,
  type ConnectWorkersResult,
  type OutputParams,
  type WorkersState,
} from '../protocol/messages/lsp-messages';
import { ContextKeys } from './commands';
import { settings } from './config';
import { dialMaster, spawnMaster } from './master-transport';
import { MasterRestarts, type Mode } from './master-restarts';
import { NotificationHandlers } from './notification-handlers';

export type ClientState = 'stopped' | 'starting' | 'running';

/**
 * A language client that stops showing notifications once another has replaced it. A client is replaced when its
 * master died while starting; its start then fails a moment later with "couldn't create connection to server",
 * which would pop up on every such crash although the restart (logged in the Crew output) has taken over.
 */
class QuietWhenReplaced extends LanguageClient {
  replaced = false;

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, this.replaced ? false : showNotification);
  }
}

/** Last lines the master wrote to stderr, quoted when it crashes. */
const STDERR_LINES = 5;

export class CrewClient implements vscode.Disposable {
  private current: QuietWhenReplaced;
  private stateListener?: vscode.Disposable;
  private readonly notifications = new NotificationHandlers();
  /** The output channel a failed client made, kept by the clients after it. */
  private adoptedChannel?: vscode.LogOutputChannel;
  private mode: Mode = { kind: 'child' };
  private prepared?: ChildProcess | StreamInfo;
  private readonly restarts = new MasterRestarts({
    mode: () => this.mode,
    stopped: () => this.state === 'stopped',
    stderrTail: () => this.stderrTail,
    log: (line) => this.log.appendLine(line),
    stop: () => {
      this.setState('stopped');
      this.setWorkers({ started: false, workers: [] });
    },
    startAfresh: () => {
      this.replaceClient();
      return this.client.start();
    },
  });
  private stderrTail: string[] = [];
  private afterRunning: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];
  state: ClientState = 'stopped';
  workers: WorkersState = { started: false, workers: [] };

  private readonly stateEmitter = new vscode.EventEmitter<ClientState>();
  private readonly workersEmitter = new vscode.EventEmitter<WorkersState>();
  private readonly outputEmitter = new vscode.EventEmitter<OutputParams>();
  /** The client started, stopped, or is starting. */
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidChangeWorkers = this.workersEmitter.event;
  /** Worker and master output, and the audit trail (`stream: 'audit'`). */
  readonly onOutput = this.outputEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.OutputChannel,
  ) {
    this.current = this.makeClient();
    this.disposables.push(
      this.onNotification(WorkersChanged.type, (s) => this.setWorkers(s)),
      this.onNotification(Output.type, (o) => this.outputEmitter.fire(o)),
    );
    void vscode.commands.executeCommand('setContext', ContextKeys.State, 'stopped');
  }

  /** The language client in use; a failed start replaces it, so handlers go through {@link onNotification}. */
  get client(): LanguageClient {
    return this.current;
  }

  /** Handles a server -> editor notification from this client and every client after it. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    return this.notifications.add(type, handler);
  }

  /** Where the client is connected, for the status bar. */
  get where(): string {
    return this.mode.kind === 'attach' ? this.mode.address : 'local';
  }

  /** Starts a master as a child process (restarting any current one) with the configured workers. */
  async startMaster(): Promise<void> {
    await this.stop();
    const cfg = settings(this.context.extensionPath);
    if (!existsSync(cfg.serverPath)) {
      throw crewError(
        ErrorCodes.BadArgument,
        `the crew CLI is not at ${cfg.serverPath}. Check the crew.serverPath setting, or reinstall the extension.`,
      );
    }
    this.mode = { kind: 'child' };
    this.prepared = this.spawnMaster();
    await this.startClient();
  }

  /** Attaches to a running `crew lsp --port` master. */
  async attach(address: string): Promise<void> {
    // Authenticate first: a master that refuses this editor leaves the current one running.
    const stream = await this.dial(address);
    await this.stop();
    this.mode = { kind: 'attach', address };
    this.prepared = stream;
    await this.startClient();
  }

  /** Starts a master, or attaches to `crew.masterAddress`, unless the client already runs. */
  async ensureRunning(): Promise<void> {
    if (this.state === 'running') return this.afterRunning;
    const address = settings(this.context.extensionPath).masterAddress;
    return address ? this.attach(address) : this.startMaster();
  }

  async stop(): Promise<void> {
    if (this.client.state === State.Stopped && this.state === 'stopped') return;
    if (this.client.state !== State.Stopped) await this.client.stop(5000).catch(() => undefined);
    this.setState('stopped');
    this.setWorkers({ started: false, workers: [] });
  }

  /** Sends a `crew/...` request once the client runs. */
  request<P, R>(type: RequestType<P, R, void>, params: RequestParam<P>, token?: CancellationToken): Promise<R> {
    return this.client.sendRequest(type, params, token);
  }

  private async startClient(): Promise<void> {
    this.restarts.reset();
    if (this.current.state === State.StartFailed) this.replaceClient();
    this.setState('starting');
    try {
      for (let client = this.client; ; client = this.client) {
        try {
          await client.start();
          break;
        } catch (err) {
          // A master that died while starting was restarted with a new client (see MasterRestarts): wait for that one.
          if (client === this.client || this.state === 'stopped') throw err;
        }
      }
      await this.afterRunning;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private makeClient(outputChannel?: vscode.LogOutputChannel): QuietWhenReplaced {
    const client: QuietWhenReplaced = new QuietWhenReplaced('crew', 'Crew Language Server', () => this.transport(), {
      // Crew serves no text documents: evaluation is driven by commands.
      documentSelector: [],
      errorHandler: this.restarts.errorHandler(
        () => client,
        () => client === this.current,
      ),
      initializationFailedHandler: () => false,
      outputChannel,
    });
    this.stateListener?.dispose();
    this.stateListener = client.onDidChangeState((e) => {
      if (client === this.current) this.clientStateChanged(e.newState);
    });
    this.notifications.moveTo(client);
    return client;
  }

  /**
   * vscode-languageclient keeps the promise of a failed start and hands it back on every later `start()`, so a client
   * whose master could not start never starts again. A new client takes its place, writing to the same output channel.
   */
  private replaceClient(): void {
    // The failed client is not disposed: that would close its output channel, which the new one writes to,
    // and a client whose start failed holds no connection and starts again only if asked to.
    this.current.replaced = true;
    this.adoptedChannel = this.current.outputChannel;
    this.current = this.makeClient(this.adoptedChannel);
  }

  /** Called for the first start and for each restart after a crash. */
  private async transport(): Promise<ChildProcess | StreamInfo> {
    const ready =
      this.prepared ?? (this.mode.kind === 'attach' ? await this.dial(this.mode.address) : this.spawnMaster());
    this.prepared = undefined;
    // The client attaches its reader right after this returns, before sending; the master speaks only when spoken to.
    if ('reader' in ready) setImmediate(() => (ready.reader as Socket).resume());
    return ready;
  }

  private spawnMaster(): ChildProcess {
    this.stderrTail = [];
    return spawnMaster(settings(this.context.extensionPath), (text) => {
      this.log.append(text.replace(/^(?=.)/gm, '[master] '));
      this.stderrTail = [...this.stderrTail, ...text.split('\n').filter(Boolean)].slice(-STDERR_LINES);
    });
  }

  private dial(address: string): Promise<StreamInfo> {
    return dialMaster(address, settings(this.context.extensionPath).secretFile);
  }

  private clientStateChanged(s: State): void {
    if (s === State.Running) {
      // Failures are reported here, once, whether this is the first start or a restart.
      this.afterRunning = (this.mode.kind === 'child' ? this.connectConfigured() : this.refreshWorkers()).catch(
        (err: Error) => {
          // A master that died meanwhile is reported by the error handler instead.
          if (this.client.state === State.Running)
            void vscode.window.showErrorMessage(
              `Crew: the master is running but could not start its workers: ${err.message}`,
            );
        },
      );
      this.setState('running');
    } else if (s === State.Starting) {
      // A (re)started master has no workers until it says so.
      this.setWorkers({ started: false, workers: [] });
      this.setState('starting');
    } else if (this.state !== 'stopped' && s === State.StartFailed && !this.restarts.startFailed())
      this.setState('stopped');
  }

  /** A fresh master (first start, or after a crash) gets the configured workers. */
  private async connectConfigured(): Promise<void> {
    const cfg = settings(this.context.extensionPath);
    const result: ConnectWorkersResult = await this.request(ConnectWorkers.type, {
      local: cfg.slurm ? 0 : cfg.localWorkers,
      addresses: cfg.workers,
      slurm: cfg.slurm,
    });
    this.setWorkers(result);
    for (const e of result.errors) void vscode.window.showWarningMessage(`Crew: ${e}`);
  }

  private async refreshWorkers(): Promise<void> {
    this.setWorkers(await this.request(ListWorkers.type, null));
  }

  private setState(s: ClientState): void {
    if (this.state === s) return;
    this.state = s;
    void vscode.commands.executeCommand('setContext', ContextKeys.State, s);
    this.stateEmitter.fire(s);
  }

  setWorkers(s: WorkersState): void {
    this.workers = s;
    void vscode.commands.executeCommand('setContext', ContextKeys.HasPool, s.started);
    this.workersEmitter.fire(s);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.stateListener?.dispose();
    void this.client
      .stop(2000)
      .catch(() => undefined)
      .finally(() => this.adoptedChannel?.dispose());
    this.stateEmitter.dispose();
    this.workersEmitter.dispose();
    this.outputEmitter.dispose();
  }
}
