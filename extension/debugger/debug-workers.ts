/**
 * "Crew: Debug Workers" and the `crew` debug type: one VS Code debug session, "Crew", with a
 * child session of VS Code's own JavaScript debugger (js-debug) for each worker's eval
 * thread, named after the worker. Each child attaches through the master's CDP endpoint with
 * a one-time address asked for over the authenticated LSP connection (`crew/debugAttach`,
 * server/lsp/debug.ts), so the editor never needs a route to a worker. Workers that join
 * later are attached too; a worker that leaves ends its child; ending "Crew" ends every child,
 * and each worker's relay lets its thread go (worker/debug/cdp-relay.ts).
 *
 * The parent session's adapter is inline and does nothing but exist: the children are the
 * debuggers. Gutter breakpoints reach the workers through js-debug and the source map each
 * form carries (server/api/form-source-map.ts).
 */
import * as vscode from 'vscode';
import { DebugAttach } from '../../protocol/messages/lsp-debug-messages';
import type { WorkerSummary } from '../../protocol/worker-summary';
import type { CrewClient } from '../client';
import { Commands } from '../commands';
import { debuggerAddress, masterHost } from './cdp-tunnel';

/** The debug type contributed in package.json. */
export const CREW_DEBUG_TYPE = 'crew';

/** A worker's child is attached again after its eval thread was replaced, at most this often. */
const REATTACH_LIMIT = 3;

/** The `launch.json` entry that the command starts, and that F5 starts when launch.json has none. */
export const crewConfiguration: vscode.DebugConfiguration = { type: CREW_DEBUG_TYPE, request: 'attach', name: 'Crew' };

/** js-debug's attach to one worker's eval thread, for Debug Workers and for the panel's Open in VS Code Debugger. */
export function workerAttachConfiguration(
  worker: string,
  name: string,
  websocketAddress: string,
): vscode.DebugConfiguration {
  return {
    type: 'pwa-node',
    request: 'attach',
    name,
    websocketAddress,
    // A form is held before it runs until its breakpoints are bound through its source map:
    // it is on no disk, so js-debug cannot predict them.
    pauseForSourceMap: true,
    // Forms name their maps inline, and the files they map to may lie outside the workspace.
    resolveSourceMapLocations: null,
    // The eval thread is Crew's: no child processes, no environment of its own to change.
    autoAttachChildProcesses: false,
    attachExistingChildren: false,
    continueOnAttach: false,
    // Crew's own frames below the user's (its evaluator, the thread's task loop) are library
    // code: dimmed in the Call Stack, stepped through. V8 still pauses before each form, which
    // the evaluator calls: skipping a script does not skip the pause before another it runs.
    skipFiles: ['<node_internals>/**', '**/eval-thread.js'],
    __crewWorker: worker,
  };
}

/** The parent session's adapter: it answers what VS Code asks and leaves debugging to the children. */
class ParentAdapter implements vscode.DebugAdapter {
  private readonly sent = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.sent.event;
  private seq = 1;

  handleMessage(message: vscode.DebugProtocolMessage): void {
    const m = message as { seq: number; type: string; command?: string };
    if (m.type !== 'request') return;
    const body = m.command === 'threads' ? { threads: [] } : m.command === 'initialize' ? {} : undefined;
    this.sent.fire({
      seq: this.seq++,
      type: 'response',
      request_seq: m.seq,
      success: true,
      command: m.command,
      body,
    } as vscode.DebugProtocolMessage);
    if (m.command === 'disconnect' || m.command === 'terminate')
      this.sent.fire({ seq: this.seq++, type: 'event', event: 'terminated' } as vscode.DebugProtocolMessage);
  }

  dispose(): void {
    this.sent.dispose();
  }
}

/** The children of the running "Crew" session, by worker id. */
class WorkerSessions implements vscode.Disposable {
  private parent?: vscode.DebugSession;
  private readonly children = new Map<string, vscode.DebugSession>();
  /** Workers being attached now, so a burst of worker changes attaches each once. */
  private readonly attaching = new Set<string>();
  private readonly reattached = new Map<string, number>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly crew: CrewClient) {
    this.subscriptions.push(
      vscode.debug.onDidStartDebugSession((s) => this.started(s)),
      vscode.debug.onDidTerminateDebugSession((s) => this.terminated(s)),
      crew.onDidChangeWorkers(() => this.sync()),
      crew.onDidChangeState((state) => {
        if (state === 'stopped' && this.parent) void vscode.debug.stopDebugging(this.parent);
      }),
    );
  }

  get running(): boolean {
    return this.parent !== undefined;
  }

  private started(s: vscode.DebugSession): void {
    if (s.type === CREW_DEBUG_TYPE && !s.parentSession) {
      this.parent = s;
      this.reattached.clear();
      this.sync();
      return;
    }
    const worker = (s.configuration as { __crewWorker?: string }).__crewWorker;
    if (worker && this.parent && s.parentSession?.id === this.parent.id) this.children.set(worker, s);
    if (attachedToAWorker(s)) stopAtCrewSuspensions(s);
  }

  private terminated(s: vscode.DebugSession): void {
    if (s.id === this.parent?.id) {
      this.parent = undefined;
      for (const child of this.children.values()) void vscode.debug.stopDebugging(child);
      this.children.clear();
      return;
    }
    const worker = (s.configuration as { __crewWorker?: string }).__crewWorker;
    if (!worker || this.children.get(worker)?.id !== s.id) return;
    this.children.delete(worker);
    // The worker is still there: its eval thread was replaced, so its new thread is attached.
    const times = this.reattached.get(worker) ?? 0;
    if (this.parent && this.live().some((w) => w.id === worker) && times < REATTACH_LIMIT) {
      this.reattached.set(worker, times + 1);
      this.sync();
    }
  }

  private live(): WorkerSummary[] {
    return this.crew.workers.workers.filter((w) => w.state !== 'closed');
  }

  /** Attaches every worker without a child, and ends the children of workers that left. */
  private sync(): void {
    const parent = this.parent;
    if (!parent) return;
    const live = this.live();
    for (const [id, child] of this.children)
      if (!live.some((w) => w.id === id)) {
        this.children.delete(id);
        void vscode.debug.stopDebugging(child);
      }
    for (const w of live) if (!this.children.has(w.id) && !this.attaching.has(w.id)) void this.attach(parent, w);
  }

  private async attach(parent: vscode.DebugSession, worker: WorkerSummary): Promise<void> {
    this.attaching.add(worker.id);
    try {
      const reply = await this.crew.client.sendRequest(DebugAttach.type, { worker: worker.id });
      // A master on another host is reached through a pinned TLS relay on this one.
      const { address: websocketAddress } = await debuggerAddress(reply.websocketAddress, masterHost(this.crew.where));
      if (this.parent !== parent) return;
      const ok = await vscode.debug.startDebugging(
        parent.workspaceFolder,
        workerAttachConfiguration(
          worker.id,
          worker.name && worker.name !== worker.id ? `${worker.id} (${worker.name})` : worker.id,
          websocketAddress,
        ),
        {
          parentSession: parent,
          lifecycleManagedByParent: true,
          compact: false,
        },
      );
      if (!ok) void vscode.window.showWarningMessage(`Crew: VS Code's debugger did not attach to ${worker.id}.`);
    } catch (err) {
      // A worker that left meanwhile is no failure.
      if (this.live().some((w) => w.id === worker.id))
        void vscode.window.showErrorMessage(`Crew: cannot debug ${worker.id}: ${(err as Error).message}`);
    } finally {
      this.attaching.delete(worker.id);
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

/** A js-debug session on a worker's eval thread, or the one js-debug made under it for the thread. */
function attachedToAWorker(s: vscode.DebugSession): boolean {
  for (let p: vscode.DebugSession | undefined = s; p; p = p.parentSession)
    if ((p.configuration as { __crewWorker?: string }).__crewWorker) return true;
  return false;
}

/**
 * js-debug resumes an exception pause its exception filters do not ask for, and the eval
 * thread catches every throw to report it, so V8 never calls one uncaught: without the
 * "caught" filter, a worker the Crew Debugger holds at an error would be let go. The throws
 * the user's code catches are resumed by the Crew Debugger itself. Changing the Breakpoints
 * view's exception filters later applies to these sessions too.
 */
function stopAtCrewSuspensions(s: vscode.DebugSession): void {
  s.customRequest('setExceptionBreakpoints', { filters: ['all'] }).then(undefined, () => undefined);
}

/** Registers the `crew` debug type and *Crew: Debug Workers*. */
export function registerDebugWorkers(context: vscode.ExtensionContext, crew: CrewClient): void {
  const sessions = new WorkerSessions(crew);
  context.subscriptions.push(
    sessions,
    vscode.debug.registerDebugAdapterDescriptorFactory(CREW_DEBUG_TYPE, {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterInlineImplementation(new ParentAdapter()),
    }),
    vscode.debug.registerDebugConfigurationProvider(CREW_DEBUG_TYPE, {
      provideDebugConfigurations: () => [crewConfiguration],
      async resolveDebugConfiguration(_folder, config) {
        // F5 with no launch.json: debug the workers.
        const resolved = config.type ? config : { ...crewConfiguration };
        if (sessions.running) {
          void vscode.window.showInformationMessage('Crew: the workers are already being debugged.');
          return undefined;
        }
        // Nothing to attach to yet: start the master, whose workers are attached as they join.
        if (crew.state === 'stopped') await vscode.commands.executeCommand(Commands.StartMaster);
        return resolved;
      },
    }),
    vscode.commands.registerCommand(Commands.DebugWorkers, () =>
      vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], crewConfiguration),
    ),
  );
}
