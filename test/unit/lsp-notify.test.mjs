// A notification to an editor whose connection has just closed: vscode-jsonrpc throws at once
// (it does not reject), and the master, serving other editors, must not die of it.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { loadSource } from '../helpers.mjs';

const { notify } = await loadSource('server/lsp/connection.ts');

test('a notification to an editor whose connection has closed is dropped, not thrown', async () => {
  const input = new PassThrough();
  const output = new PassThrough().resume();
  const connection = createMessageConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
  const closed = new Promise((resolve) => connection.onClose(resolve));
  connection.listen();
  // The editor's side ends, as when its window closes.
  input.end();
  await closed;
  const send = () => connection.sendNotification('crew/workersChanged', { started: false, workers: [] });
  assert.throws(send, /closed|disposed/i, 'vscode-jsonrpc throws at once for a closed connection');
  assert.doesNotThrow(() => notify(send));
  connection.dispose();
});
