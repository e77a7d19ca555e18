/**
 * The editor's TCP link to `crew lsp --port`, after its handshake: the same per-frame
 * authentication as the worker link (frame-seal.ts), over a byte stream. Each chunk the LSP
 * writer writes becomes one record, `[u32 length][bytes][tag]`; the reader gets only the bytes
 * of records whose tag is the next one in order. So a relay that passed the handshake through
 * cannot speak in the editor's place (an `evaluate` request runs code on the master), and a
 * record forged, replayed or reordered ends the connection.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { crewError, ErrorCodes, type CrewError } from '../errors';
import { FrameSeal, TAG_BYTES, type SealKeys } from './frame-seal';

/** Largest record: far above any LSP message Crew sends, far below what would strain memory. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * Wraps an authenticated socket: what is written is sealed, what is read has been checked.
 * `onRefused` hears why the connection was ended when a record fails.
 */
export function sealedStream(socket: Socket, keys: SealKeys, onRefused?: (err: CrewError) => void): Duplex {
  const seal = new FrameSeal(keys);
  let buffered: Buffer = Buffer.alloc(0);
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(chunk.length);
      socket.write(Buffer.concat([head, chunk, seal.tag(chunk)]), callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  const refuse = (why: string) => {
    const err = crewError(ErrorCodes.FrameAuthFailed, `${why}; the connection is closed`);
    onRefused?.(err);
    socket.destroy();
    stream.destroy();
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (length > MAX_RECORD_BYTES) return refuse(`a record of ${length} bytes is over the limit`);
      if (buffered.length < 4 + length + TAG_BYTES) break;
      const body = seal.open(buffered.subarray(4, 4 + length + TAG_BYTES));
      if (!body) return refuse('a record failed authentication (forged, altered, replayed or out of order)');
      buffered = buffered.subarray(4 + length + TAG_BYTES);
      // Copied: the reader may keep it while the socket's buffer is reused.
      if (!stream.push(Buffer.from(body))) socket.pause();
    }
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    stream.push(null);
  };
  socket.on('end', end);
  // What was read before the close is still read; then the stream ends and closes as the
  // socket did. Ended alone, it would wait for its writable side, and a language client
  // hears of a lost connection only from its close: the editor kept showing a master that
  // had quit until it next wrote to it.
  socket.on('close', () => {
    end();
    if (stream.readableEnded) stream.destroy();
    else stream.once('end', () => stream.destroy());
  });
  socket.on('error', (err) => stream.destroy(err));
  socket.resume();
  return stream;
}
