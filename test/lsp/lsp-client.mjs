// Drives `crew lsp` the way the VS Code extension does: the built CLI forked with
// `lsp --stdio --clientProcessId=N`, vscode-jsonrpc on its stdio, and the request and
// notification types from protocol/messages/lsp-messages.ts (bundled here with esbuild, as the extension is).
import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { cli, loadSource, root } from '../helpers.mjs';
import { scaled } from '../time-scale.mjs';

export { cli, root };

/** protocol/messages/lsp-messages.ts and protocol/link/lsp-handshake.ts, compiled once per test process. */
export function protocol() {
  return loadSource([
    'protocol/messages/lsp-messages.ts',
    'protocol/link/lsp-handshake.ts',
    'protocol/link/sealed-stream.ts',
    'protocol/errors.ts',
  ]);
}

/** A fresh secret file, so tests never touch the user's own. */
export function secretFile() {
  const dir = mkdtempSync(join(tmpdir(), 'crew-lsp-test-'));
  const file = join(dir, 'secret');
  writeFileSync(file, 'lsp-test-secret-0123456789abcdef\n', { mode: 0o600 });
  return file;
}

/** Records notifications and lets a test wait for one that matches. */
export class Inbox {
  items = [];
  waiters = [];
  push(item) {
    this.items.push(item);
    for (const w of [...this.waiters])
      if (w.match(item)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(item);
      }
  }
  /** Resolves with the first item (already received or to come) that matches. */
  next(match, what = 'a notification', timeoutMs = 30_000) {
    const hit = this.items.find(match);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`timed out waiting for ${what}; the last received: ${JSON.stringify(this.items.at(-1))}`)),
        scaled(timeoutMs),
      );
      this.waiters.push({
        match,
        resolve: (x) => {
          clearTimeout(timer);
          resolve(x);
        },
      });
    });
  }
  clear() {
    this.items = [];
  }
}

/** Starts `crew lsp --stdio` and completes the LSP initialize exchange. */
export async function startServer(extraArgs = []) {
  const P = await protocol();
  const child = fork(
    cli,
    ['lsp', ...extraArgs, '--secret-file', secretFile(), '--stdio', `--clientProcessId=${process.pid}`],
    { silent: true },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const workers = new Inbox();
  const output = new Inbox();
  const progress = new Inbox();
  connection.onNotification(P.WorkersChanged.type, (s) => workers.push(s));
  connection.onNotification(P.Output.type, (o) => output.push(o));
  connection.onNotification(P.Progress.type, (p) => progress.push(p));
  connection.listen();
  const init = await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await connection.sendNotification('initialized', {});
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    P,
    child,
    connection,
    init,
    workers,
    output,
    progress,
    exited,
    get stderr() {
      return stderr;
    },
    request: (type, params, token) => connection.sendRequest(type, params, token),
    /** LSP's orderly end: shutdown, then exit; resolves with the process's exit. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await Promise.race([
          connection.sendRequest('shutdown').catch(() => {}),
          new Promise((r) => setTimeout(r, 5000).unref()),
        ]);
        await connection.sendNotification('exit').catch(() => {});
      }
      let timer;
      const result = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r(undefined), 10_000)))]);
      clearTimeout(timer);
      if (!result) child.kill('SIGKILL');
      connection.dispose();
      return result;
    },
  };
}

/** What a test that waited in vain shows of the master: the end of its stderr. */
export const stderrOf = (server) => () => `the master's stderr ends: ${server.stderr.slice(-2000)}`;

/** The error a request rejected with (fails the test if it did not). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the request to fail');
}
