/** Parsing and checking of `host:port` addresses. */
import { isIPv4, isIPv6 } from 'node:net';
import { crewError, ErrorCodes } from './errors';

/** Parses `host:port`, `[v6]:port` or `:port` (loopback). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535)
    throw crewError(ErrorCodes.BadArgument, `"${text}" is not host:port (e.g. 127.0.0.1:4005)`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (isIPv6(host)) return host === '::1';
  return false;
}
