/**
 * Server -> editor notification handlers that outlive one language client. The extension
 * makes a new client after a start that failed (see client.ts), and the views, the debugger
 * and the evaluations keep listening without knowing.
 */
import * as vscode from 'vscode';
import type { NotificationType } from 'vscode-jsonrpc';
import type { LanguageClient } from 'vscode-languageclient/node';

interface Registration {
  type: NotificationType<unknown>;
  handler: (params: unknown) => void;
  /** Its registration on the client in use. */
  onClient?: vscode.Disposable;
}

export class NotificationHandlers {
  private readonly registrations = new Set<Registration>();
  private client?: LanguageClient;

  /** Handles `type` from the client in use and every client after it, until disposed. */
  add<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    const r: Registration = { type: type as NotificationType<unknown>, handler: handler as (p: unknown) => void };
    r.onClient = this.client?.onNotification(r.type, r.handler);
    this.registrations.add(r);
    return new vscode.Disposable(() => {
      this.registrations.delete(r);
      r.onClient?.dispose();
    });
  }

  /** Moves every handler to `client`, the one now in use. */
  moveTo(client: LanguageClient): void {
    this.client = client;
    for (const r of this.registrations) {
      r.onClient?.dispose();
      r.onClient = client.onNotification(r.type, r.handler);
    }
  }
}
