/**
 * What each end of the worker handshake checks of the other's claims before any MAC: the
 * version both speak, and roles and member ids that fit together.
 */
import { crewError, ErrorCodes, type CrewError } from '../errors';
import { PROTOCOL_VERSION } from '../messages/worker-link-messages';

/** Which end of a worker link a side is. */
export type Role = 'master' | 'worker';

/** The version both ends compare at the handshake: one number for the messages and the handshake. */
export const LINK_VERSION = PROTOCOL_VERSION;

/** Why the peer's claimed role and member id cannot pair with this end's; undefined when they can. */
export function checkPeer(
  role: Role,
  peerRole: unknown,
  member: string | undefined,
  peerMember: unknown,
): string | undefined {
  if (peerRole !== 'master' && peerRole !== 'worker') return `unknown role ${JSON.stringify(peerRole)}`;
  if (peerRole === role) return `both ends are ${role}s`;
  if (peerMember !== undefined && typeof peerMember !== 'string') return 'its member id is not a string';
  if (member && peerMember && member !== peerMember)
    return `member id ${peerMember} does not match this job's ${member}`;
  return undefined;
}

/** The peer speaks another version: both are named, so the user knows which end to update. */
export function versionProblem(peer: string, v: unknown): CrewError | undefined {
  if (v === LINK_VERSION) return undefined;
  return crewError(
    ErrorCodes.VersionMismatch,
    `${peer} speaks Crew protocol version ${String(v)}, this end speaks ${LINK_VERSION}: ` +
      'run the same version of Crew on the master and its workers',
  );
}
