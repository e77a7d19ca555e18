/** The `crew.*` settings, read in one place. */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SlurmWorkersRequest } from '../protocol/messages/lsp-messages';

export interface CrewSettings {
  localWorkers: number;
  workers: string[];
  masterAddress: string;
  secretFile?: string;
  /** The crew CLI to run as the master. */
  serverPath: string;
  /** Where the master listens for workers that dial in (`crew lsp --worker-host`). */
  workerHost?: string;
  /** Slurm workers to submit instead of local ones (on a login node the work belongs on compute nodes). */
  slurm?: SlurmWorkersRequest;
}

function slurmSettings(c: vscode.WorkspaceConfiguration): SlurmWorkersRequest | undefined {
  const workers = c.get<number>('slurm.workers', 0);
  if (!workers) return undefined;
  const partition = c.get<string>('slurm.partition', '').trim();
  const time = c.get<number>('slurm.time', 0);
  const sbatchArgs = c
    .get<string[]>('slurm.sbatchArgs', [])
    .map((a) => a.trim())
    .filter(Boolean);
  return {
    workers,
    partition: partition || undefined,
    time: time || undefined,
    sbatchArgs: sbatchArgs.length ? sbatchArgs : undefined,
  };
}

export function settings(extensionPath: string): CrewSettings {
  const c = vscode.workspace.getConfiguration('crew');
  const secretFile = c.get<string>('secretFile', '').trim();
  const serverPath = c.get<string>('serverPath', '').trim();
  const workerHost = c.get<string>('workerHost', '').trim();
  return {
    localWorkers: c.get<number>('localWorkers', 2),
    workers: c
      .get<string[]>('workers', [])
      .map((w) => w.trim())
      .filter(Boolean),
    masterAddress: c.get<string>('masterAddress', '').trim(),
    secretFile: secretFile || undefined,
    serverPath: serverPath || join(extensionPath, 'dist', 'cli.js'),
    workerHost: workerHost || undefined,
    slurm: slurmSettings(c),
  };
}
