/**
 * *Crew: Profile Workers* and *Crew: Heap Snapshot*. The master takes the profiles from its
 * workers (`crew/profileWorkers`, `crew/heapSnapshot`) and the editor writes them beside the
 * workspace, in `.crew/profiles/`, or in the extension's storage when no folder is open. The
 * profile merged across workers opens in VS Code's profile viewer, where a click on one of the
 * user's frames opens their file at that line. A heap snapshot opens in the same viewer.
 */
import * as vscode from 'vscode';
import type { CpuProfile } from '../protocol/messages/profile-messages';
import { HeapSnapshot, ProfileWorkers, ProfileWorkersStop } from '../protocol/messages/lsp-profile-messages';
import { MAX_PROFILE_MS } from '../protocol/messages/profile-messages';
import type { CrewClient } from './client';

export const ProfileCommands = {
  ProfileWorkers: 'crew.profileWorkers',
  HeapSnapshot: 'crew.heapSnapshot',
} as const;

/** The lengths offered, in seconds; another can be typed. */
const LENGTHS_S = [1, 3, 10, 30];

/** A time for file names: `20261205-131502`. */
function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

async function chooseMs(given: unknown, who: string): Promise<number | undefined> {
  if (typeof given === 'number' && Number.isInteger(given) && given > 0) return given;
  const items = [
    ...LENGTHS_S.map((s) => ({ label: `${s} s`, ms: s * 1000 })),
    { label: 'Until stopped', description: 'Cancel the progress to stop (10 minutes at most)', ms: MAX_PROFILE_MS },
    { label: 'Another length…', ms: 0 },
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Profile ${who} for how long?` });
  if (!picked || picked.ms) return picked?.ms;
  const typed = await vscode.window.showInputBox({
    prompt: `Seconds to profile ${who}`,
    validateInput: (v) => (Number(v) > 0 && Number(v) <= 600 ? undefined : 'a number of seconds from 0.001 to 600'),
  });
  return typed ? Math.max(1, Math.round(Number(typed) * 1000)) : undefined;
}

/** The worker a command was given: an id, or a node of the Workers view. */
function workerOf(given: unknown): string | undefined {
  if (typeof given === 'string') return given;
  const id = (given as { worker?: { id?: unknown } } | undefined)?.worker?.id;
  return typeof id === 'string' ? id : undefined;
}

async function chooseWorker(crew: CrewClient, given: unknown): Promise<string | undefined> {
  const named = workerOf(given);
  if (named) return named;
  const ready = crew.workers.workers.filter((w) => w.state === 'ready');
  if (ready.length === 1) return ready[0].id;
  const picked = await vscode.window.showQuickPick(
    ready.map((w) => ({ label: w.id, description: w.name })),
    { placeHolder: 'A heap snapshot of which worker?' },
  );
  return picked?.label;
}

export function registerProfile(context: vscode.ExtensionContext, crew: CrewClient): vscode.Disposable[] {
  const folder = (): vscode.Uri => {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri;
    return workspace
      ? vscode.Uri.joinPath(workspace, '.crew', 'profiles')
      : vscode.Uri.joinPath(context.globalStorageUri, 'profiles');
  };
  const write = async (name: string, text: string): Promise<vscode.Uri> => {
    const dir = folder();
    await vscode.workspace.fs.createDirectory(dir);
    const uri = vscode.Uri.joinPath(dir, name);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text));
    return uri;
  };
  const running = (what: string): boolean => {
    if (crew.state === 'running' && crew.workers.workers.some((w) => w.state === 'ready')) return true;
    void vscode.window.showWarningMessage(`Crew: ${what} needs a running master with workers.`);
    return false;
  };

  const profile = async (given?: unknown): Promise<vscode.Uri | undefined> => {
    if (!running('Profile Workers')) return undefined;
    const worker = workerOf(given);
    const ms = await chooseMs(given, worker ?? 'every worker');
    if (!ms) return undefined;
    const who = worker ?? 'the workers';
    try {
      const length = ms === MAX_PROFILE_MS ? 'until stopped' : `for ${ms / 1000} s`;
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Crew: profiling ${who} ${length}…`,
          // Cancelling stops the profile early: what it holds is opened.
          cancellable: true,
        },
        (_progress, token) => {
          token.onCancellationRequested(() => void crew.request(ProfileWorkersStop.type, {}).catch(() => undefined));
          return crew.request(ProfileWorkers.type, worker ? { ms, workers: [worker] } : { ms });
        },
      );
      const when = stamp();
      // The viewer shows the user's files relative to the workspace.
      const rootPath = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      const save = (id: string, p: CpuProfile) =>
        write(
          `crew-${id}-${when}.cpuprofile`,
          JSON.stringify(rootPath && p.$vscode ? { ...p, $vscode: { ...p.$vscode, rootPath } } : p),
        );
      for (const [id, p] of Object.entries(result.profiles)) await save(id, p);
      const merged = await save('workers', result.merged);
      const shown = worker ? vscode.Uri.joinPath(folder(), `crew-${worker}-${when}.cpuprofile`) : merged;
      await vscode.commands.executeCommand('vscode.open', shown);
      return shown;
    } catch (err) {
      void vscode.window.showErrorMessage(`Crew: no profile: ${(err as Error).message}`);
      return undefined;
    }
  };

  const snapshot = async (given?: unknown): Promise<vscode.Uri | undefined> => {
    if (!running('Heap Snapshot')) return undefined;
    const worker = await chooseWorker(crew, given);
    if (!worker) return undefined;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Crew: taking a heap snapshot of ${worker}…` },
        () => crew.request(HeapSnapshot.type, { worker }),
      );
      const uri = await write(`crew-${worker}-${stamp()}.heapsnapshot`, result.snapshot);
      // VS Code's profile viewer opens heap snapshots too.
      await vscode.commands.executeCommand('vscode.open', uri);
      return uri;
    } catch (err) {
      void vscode.window.showErrorMessage(`Crew: no heap snapshot: ${(err as Error).message}`);
      return undefined;
    }
  };

  return [
    vscode.commands.registerCommand(ProfileCommands.ProfileWorkers, profile),
    vscode.commands.registerCommand(ProfileCommands.HeapSnapshot, snapshot),
  ];
}
