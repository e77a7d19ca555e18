/**
 * The audit trail's file. It names every peer that connected or was refused and what each
 * master ran, so it is private to the user: created 0600, an existing one readable by others
 * is tightened (as the secret file is: fixing the mode loses nothing, refusing would leave the
 * worker without a trail), and one owned by another user, or reached through a symlink another
 * user owns, is refused, since that user could read or rewrite the trail.
 */
import { appendFileSync, closeSync, fchmodSync, fstatSync, lstatSync, openSync } from 'node:fs';
import { crewError, ErrorCodes } from './errors';

/** How an audit file was opened: `tightened` names the mode it had, when it was wider. */
export interface AuditFile {
  write(line: string): void;
  tightened?: string;
}

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(4, '0');

/**
 * Checks and opens (creating it 0600) the audit file `path`.
 * @throws CREW_BAD_ARGUMENT when it cannot be opened, or belongs to another user.
 */
export function openAuditFile(path: string): AuditFile {
  const uid = process.getuid?.();
  let link;
  try {
    link = lstatSync(path);
  } catch {
    // Not there yet: it is created below.
  }
  if (uid !== undefined && link?.isSymbolicLink() && link.uid !== uid)
    throw crewError(
      ErrorCodes.BadArgument,
      `the audit file ${path} is a symbolic link owned by user ${link.uid}, not by this user (${uid}); ` +
        'refusing to write the audit trail through it',
    );
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o600);
  } catch (err) {
    throw crewError(ErrorCodes.BadArgument, `cannot open the audit file ${path}: ${(err as Error).message}`);
  }
  let tightened: string | undefined;
  try {
    const st = fstatSync(fd);
    // A device or a pipe (/dev/null, a FIFO read by a collector) has no mode worth changing.
    if (st.isFile()) {
      if (uid !== undefined && st.uid !== uid)
        throw crewError(
          ErrorCodes.BadArgument,
          `the audit file ${path} is owned by user ${st.uid}, not by this user (${uid}); ` +
            'refusing to write the audit trail where another user can read or change it',
        );
      if ((st.mode & 0o077) !== 0) {
        fchmodSync(fd, 0o600);
        tightened = `mode ${octal(st.mode)} to 0600`;
      }
    }
  } finally {
    closeSync(fd);
  }
  // Opened by name for each line, as before: a file rotated away is created again, 0600.
  return { write: (line) => appendFileSync(path, line + '\n', { mode: 0o600 }), tightened };
}
