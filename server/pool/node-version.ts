/**
 * Workers on another major version of Node than their master still work (forms are
 * transpiled for the oldest supported Node), but built-ins and module loading differ between
 * majors, so a result may differ from the master's: the audit trail says so, naming both.
 */
import type { Audit } from '../../protocol/audit';

/** The major of a `process.version` string such as `v22.11.0`, or undefined for anything else. */
export function nodeMajor(version: string): number | undefined {
  const m = /^v?(\d+)\./.exec(version);
  return m ? Number(m[1]) : undefined;
}

/** Warns once per worker that joins when its Node's major version is not the master's. */
export function warnNodeMismatch(audit: Pick<Audit, 'log'>, worker: string, workerNode: string): void {
  const theirs = nodeMajor(workerNode);
  if (theirs === undefined || theirs === nodeMajor(process.version)) return;
  audit.log('warning', {
    worker,
    node: `the worker runs Node ${workerNode} and the master ${process.version}: results may differ between them`,
  });
}
