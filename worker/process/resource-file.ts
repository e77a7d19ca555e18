/**
 * CL-MW's resource file, as a worker reads it: the master writes where it listens (and its
 * member id, and whether it uses TLS) so that workers started anywhere can find it. Whoever
 * can change it can send the workers to a master of their own, so a file of another user's,
 * one that group or others may write, or a symbolic link is refused (see private-file.ts).
 */
import { crewError, ErrorCodes } from '../../protocol/errors';
import { readPrivateFile } from '../../protocol/private-file';

/** Where a master listens, as its resource file says. */
export interface ResourceTarget {
  host: string;
  port: number;
  member?: string;
  tls?: boolean;
}

/** Reads CL-MW's resource file: where the master listens, and its member id. */
export function readResourceFile(file: string): ResourceTarget {
  const text = readPrivateFile(file, { what: 'the resource file', code: ErrorCodes.BadArgument, forbiddenBits: 0o022 });
  let data: { host?: unknown; port?: unknown; member?: unknown; tls?: unknown };
  try {
    data = JSON.parse(text) as typeof data;
  } catch (err) {
    throw crewError(ErrorCodes.BadArgument, `cannot read the resource file ${file}: ${(err as Error).message}`);
  }
  if (typeof data.host !== 'string' || typeof data.port !== 'number')
    throw crewError(ErrorCodes.BadArgument, `the resource file ${file} has no host and port`);
  return {
    host: data.host,
    port: data.port,
    member: typeof data.member === 'string' ? data.member : undefined,
    tls: data.tls === true,
  };
}
