/** The `crew.*` settings, read in one place. */
import { join } from 'node:path';
import * as vscode from 'vscode';

export interface CrewSettings {
  localWorkers: number;
  workers: string[];
  masterAddress: string;
  secretFile?: string;
  /** The crew CLI to run as the master. */
  serverPath: string;
}

export function settings(extensionPath: string): CrewSettings {
  const c = vscode.workspace.getConfiguration('crew');
  const secretFile = c.get<string>('secretFile', '').trim();
  const serverPath = c.get<string>('serverPath', '').trim();
  return {
    localWorkers: c.get<number>('localWorkers', 2),
    workers: c
      .get<string[]>('workers', [])
      .map((w) => w.trim())
      .filter(Boolean),
    masterAddress: c.get<string>('masterAddress', '').trim(),
    secretFile: secretFile || undefined,
    serverPath: serverPath || join(extensionPath, 'dist', 'cli.js'),
  };
}
