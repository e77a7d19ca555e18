/**
 * Keeping results frames under the frame limit. A result too large to send becomes an
 * error that names its size and the limit, so the caller learns why instead of seeing the
 * link drop (the peer would close it with 1009) and the task retried until marked bad.
 */
import { decodeFrame, encodeFrame } from './codec';
import { ErrorCodes } from '../errors';
import type { ResultMsg, Results } from '../messages/worker-link-messages';
import type { Frame } from './frame';

/** Room left in a frame for the message around the results. */
const ENVELOPE_BYTES = 1024;

/** Returns `frame` when it fits in `maxBytes`, else frames that do, with oversized results replaced by errors. */
export function fitResultsFrame(frame: Frame<'results'>, maxBytes: number): Frame<'results'>[] {
  if (frame.byteLength <= maxBytes) return [frame];
  const msg = decodeFrame(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)) as Results.Msg;
  const frames: Frame<'results'>[] = [];
  let batch: ResultMsg[] = [];
  let bytes = 0;
  const flush = () => {
    if (batch.length > 0) frames.push(encodeFrame({ t: 'results', results: batch } satisfies Results.Msg));
    batch = [];
    bytes = 0;
  };
  for (const r of msg.results) {
    const size = sizeOf(r);
    const fitted: ResultMsg =
      size + ENVELOPE_BYTES > maxBytes
        ? {
            id: r.id,
            ok: false,
            ms: r.ms,
            error: {
              name: 'CrewError',
              code: ErrorCodes.LimitExceeded,
              message:
                `the result of task ${r.id} is ${size} bytes encoded, ` +
                `over the frame limit of ${maxBytes} bytes (maxFrameBytes)`,
              frames: [],
            },
          }
        : r;
    const fittedSize = fitted === r ? size : 512;
    if (bytes + fittedSize + ENVELOPE_BYTES > maxBytes) flush();
    batch.push(fitted);
    bytes += fittedSize;
  }
  flush();
  return frames;
}

function sizeOf(r: ResultMsg): number {
  if (r.ok) return r.value.byteLength + 64;
  return JSON.stringify(r.error).length * 2 + 64;
}
