/**
 * Ending a worker process this process started. Workers leave by themselves when their
 * stdin closes (`--exit-with-parent`, and `crew launch`'s ssh channel), so that is asked
 * first; a signal follows only if one has not left in time.
 */
import type { ChildProcess } from 'node:child_process';

/** Closes the child's stdin, sends `signal` after `graceMs`, and resolves once it has exited. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill(signal), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}
