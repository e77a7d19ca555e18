/**
 * Files that only their owner may change or read: the shared secret, and CL-MW's resource
 * file. Another user who owns such a file, may write it, or points it elsewhere with a
 * symbolic link could learn the secret or send the user's workers to a master of theirs, so
 * such a file is refused with an error that says why and how to fix it, as ssh refuses such
 * keys. Nothing is quietly tightened: a mode that let others read the secret may already
 * have been used, and a file of another user's cannot be made ours.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CrewError, crewError, type ErrorCode } from './errors';

/** What a file is and how to report it. */
export interface PrivateFileKind {
  /** For messages: "the secret file", "the resource file". */
  what: string;
  /** The code of every error about it. */
  code: ErrorCode;
}

/** How a file that is read must be kept. */
export interface PrivateReadRules extends PrivateFileKind {
  /** Mode bits that must be clear: 0o077 for a secret, 0o022 for a file others must not change. */
  forbiddenBits: number;
}

/** The sticky bit: in such a folder only a file's owner may rename or remove it. */
const S_ISVTX = 0o1000;

/** This user's uid; undefined where there are no uids (Windows), and then nothing is checked. */
function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function octal(mode: number): string {
  return '0' + (mode & 0o7777).toString(8);
}

/** "group and others", for the mode bits that are set. */
function who(bits: number): string {
  return [bits & 0o070 ? 'group' : '', bits & 0o007 ? 'others' : ''].filter(Boolean).join(' and ');
}

/** "group and others can read it", for the forbidden bits that are set. */
function whoCan(bits: number): string {
  const can = [bits & 0o044 ? 'read' : '', bits & 0o022 ? 'change' : '', bits & 0o011 ? 'run' : ''];
  return `${who(bits)} can ${can.filter(Boolean).join(' and ')} it`;
}

/**
 * Checks a file that was opened: a regular file, ours or root's, without the forbidden bits.
 * Root can read and change any file anyway, so a file root made is trusted as one of ours,
 * and may be readable by its group: that is how an administrator hands a secret to a service
 * account (a Kubernetes Secret mounted with `fsGroup`, mode 0440).
 */
function checkOpened(file: string, st: Stats, uid: number, rules: PrivateReadRules): void {
  const refuse = (why: string) => crewError(rules.code, `refusing ${rules.what} ${file}: ${why}`);
  if (!st.isFile()) throw refuse('it is not a regular file');
  if (st.uid !== uid && st.uid !== 0)
    throw refuse(
      `it is owned by uid ${st.uid}, not by this user (uid ${uid}), who could change it; use a file of your own`,
    );
  const forbidden = st.uid === 0 && st.uid !== uid ? rules.forbiddenBits & ~0o040 : rules.forbiddenBits;
  const bad = st.mode & forbidden;
  if (bad) throw refuse(`its mode is ${octal(st.mode)}: ${whoCan(bad)}; run chmod 600 ${file}`);
}

/**
 * Where a symbolic link leads, when the link is ours or root's (Kubernetes mounts a Secret's
 * files as root's links into a folder of its own); a link another user made could be pointed
 * anywhere, and is refused.
 */
function followTrustedLink(file: string, uid: number, rules: PrivateReadRules): string {
  const link = lstatSync(file);
  if (!link.isSymbolicLink()) return file;
  if (link.uid !== uid && link.uid !== 0)
    throw crewError(
      rules.code,
      `refusing ${rules.what} ${file}: it is a symbolic link owned by uid ${link.uid}, who could point it ` +
        'elsewhere; give the file itself',
    );
  return realpathSync(file);
}

/**
 * Reads a file that must be this user's own (or root's): refused if it is a symbolic link that
 * another user owns, is not a regular file, is owned by another uid (even when this user is
 * root), or has any of `forbiddenBits` set. The checks are made on the opened file, so it
 * cannot be swapped between check and read.
 */
export function readPrivateFile(file: string, rules: PrivateReadRules): string {
  const uid = currentUid();
  let fd: number;
  try {
    const target = uid === undefined ? file : followTrustedLink(file, uid, rules);
    // O_NOFOLLOW keeps the file read the one checked, and O_NONBLOCK keeps a FIFO put in the
    // file's place from blocking the open.
    fd = openSync(target, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if (err instanceof CrewError) throw err;
    throw crewError(rules.code, `cannot read ${rules.what} ${file}: ${(err as Error).message}`);
  }
  try {
    if (uid !== undefined) checkOpened(file, fstatSync(fd), uid, rules);
    return readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof CrewError) throw err;
    throw crewError(rules.code, `cannot read ${rules.what} ${file}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses a folder where another user could replace a file of ours: one owned by a uid other
 * than ours or root's, or one others may write that is not sticky (as /tmp is). A folder of
 * ours that its group may write is allowed: with a private group per user (umask 002) that
 * is every folder the user makes, and a reader still refuses a file another user put there.
 */
export function checkPrivateFolder(file: string, kind: PrivateFileKind): void {
  const uid = currentUid();
  if (uid === undefined) return;
  const folder = dirname(resolve(file));
  let real: string;
  let st: Stats;
  try {
    real = realpathSync(folder);
    st = lstatSync(real);
  } catch (err) {
    throw crewError(kind.code, `cannot write ${kind.what} ${file}: ${(err as Error).message}`);
  }
  const refuse = (why: string) =>
    crewError(kind.code, `refusing to write ${kind.what} ${file}: its folder ${real} ${why}`);
  if (st.uid !== uid && st.uid !== 0)
    throw refuse(`is owned by uid ${st.uid}, who could replace the file; use a folder of your own`);
  const sticky = (st.mode & S_ISVTX) !== 0;
  const writable = st.mode & (st.uid === uid ? 0o002 : 0o022);
  if (writable && !sticky)
    throw refuse(
      `(mode ${octal(st.mode)}) is writable by ${who(writable)} and not sticky, ` +
        'so another user could replace the file; use a folder of your own',
    );
}

/**
 * Writes a file only this user can read or change: refused (naming the file, its owner and
 * why) if the target is a symbolic link, not a regular file, or owned by another uid, or if
 * its folder fails {@link checkPrivateFolder}. The text goes to a new file (created
 * exclusively, mode 0600) in the same folder, renamed over the target: a file that exists
 * is replaced, never written through, so its old owner and mode do not carry over.
 */
export function writePrivateFile(file: string, text: string, kind: PrivateFileKind): void {
  const uid = currentUid();
  if (uid !== undefined) {
    checkPrivateFolder(file, kind);
    let st: Stats | undefined;
    try {
      st = lstatSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw crewError(kind.code, `cannot write ${kind.what} ${file}: ${(err as Error).message}`);
    }
    const refuse = (why: string) => crewError(kind.code, `refusing to write ${kind.what} ${file}: ${why}`);
    if (st?.isSymbolicLink()) throw refuse('it is a symbolic link; remove it, or choose another path');
    if (st && !st.isFile()) throw refuse('it is not a regular file');
    if (st && st.uid !== uid)
      throw refuse(
        `it is owned by uid ${st.uid}, not by this user (uid ${uid}), so another user made it and could ` +
          'change it; remove it, or choose another path',
      );
  }
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      /* never made, or already renamed */
    }
    throw crewError(kind.code, `cannot write ${kind.what} ${file}: ${(err as Error).message}`);
  }
}
