/**
 * What every link implementation does with a binary frame it receives: decode it with Crew's
 * codec, then check it against the messages this end accepts, so that handlers only ever see
 * a message of their direction and a bad frame becomes one clear error.
 */
import { decodeFrame } from '../codec/codec';
import { crewError, ErrorCodes, type CrewError } from '../errors';
import type { Direction } from '../messages/field-checks';
import { refusedText } from './link';

/** The checked message, or the error to give `onBadFrame`. */
export function readFrame<In>(
  frame: Buffer | ArrayBuffer | Buffer[],
  accepts: Direction<In> | undefined,
): { msg: In } | { error: CrewError } {
  let msg: unknown;
  try {
    msg = decodeFrame(frame);
  } catch (err) {
    return { error: err as CrewError };
  }
  const why = accepts ? accepts.problem(msg) : 'the link was opened without a direction';
  if (why !== undefined) return { error: crewError(ErrorCodes.BadFrame, refusedText(accepts?.sender ?? 'peer', why)) };
  return { msg: msg as In };
}
