/**
 * Why a worker could not be reached, in words a user acts on: refused, unreachable, timed
 * out, closed before the handshake, a different secret, a worker serving as many masters as
 * it may, TLS on one end only, or a man in the middle. The original reason follows.
 */
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';

/** The error for a worker at `address` (`host:port`) that could not be dialed. */
export function dialFailure(address: string, err: Error): CrewError {
  const reason = err.message;
  const code = (err as Partial<CrewError>).code;
  const port = /:(\d+)$/.exec(address)?.[1] ?? 'P';
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const running = `Is \`crew worker --port ${port}\` running on ${host}, with the same secret?`;
  let why: string;
  if (code === ErrorCodes.AuthFailed) why = `authentication failed, the secrets differ (${reason})`;
  else if (code === ErrorCodes.HandshakeTimeout || /ETIMEDOUT/.test(reason))
    why = `timed out, nothing answered in time (${reason}). ${running}`;
  else if (/ECONNREFUSED/.test(reason)) why = `connection refused (${reason}). ${running}`;
  else if (/EHOSTUNREACH|ENETUNREACH/.test(reason)) why = `unreachable from here (${reason})`;
  else if (/ENOTFOUND|EAI_AGAIN/.test(reason)) why = `unknown host ${host} (${reason})`;
  else if (code === ErrorCodes.BadFrame) why = reason;
  else if (code === ErrorCodes.WorkerBusy || code === ErrorCodes.ChannelMismatch)
    return crewError(code, `cannot connect to worker ${address}: ${reason}`);
  else if (/speaks (TLS|plain TCP) and this end/.test(reason))
    why = reason.replace(/^.*?closed the connection during the handshake: /, '');
  else why = `closed before the handshake finished (${reason}). ${running}`;
  return crewError(ErrorCodes.ConnectFailed, `cannot connect to worker ${address}: ${why}`);
}
