/**
 * How values and errors are printed for the editor. The master keeps the real values; the
 * editor gets a full print for hovers and one short line for inline display.
 */
import { inspect } from 'node:util';
import { CrewError, ErrorCodes, formatRemoteStack, RemoteError } from '../../protocol/errors';
import type { EvalError, WorkerOutcome } from '../../protocol/messages/lsp-messages';

/** Longest inline summary, in characters. */
const SUMMARY_CHARS = 120;

export function printValue(value: unknown, colors = false): string {
  return inspect(value, { depth: 6, colors, maxArrayLength: 200, maxStringLength: 20_000, breakLength: 100 });
}

export function summarize(value: unknown): string {
  const text = inspect(value, {
    depth: 2,
    colors: false,
    maxArrayLength: 20,
    maxStringLength: SUMMARY_CHARS,
    breakLength: Infinity,
    compact: true,
  });
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length > SUMMARY_CHARS ? `${line.slice(0, SUMMARY_CHARS - 1)}…` : line;
}

export function valueOutcome(worker: string, value: unknown, colors = false): WorkerOutcome {
  return { worker, ok: true, value: printValue(value, colors), summary: summarize(value) };
}

export function errorOutcome(worker: string, err: unknown): WorkerOutcome {
  const remote = err instanceof RemoteError ? err.workerId : undefined;
  return { worker: remote ?? worker, ok: false, error: describeError(err) };
}

/** An error as the editor shows it: class, message, Crew's code, and user frames. */
export function describeError(err: unknown): EvalError {
  if (err instanceof RemoteError) {
    const frames = err.frames.filter((f) => !f.internal);
    const code = err.code === ErrorCodes.Remote ? undefined : err.code;
    return {
      name: err.remoteName,
      message: err.remoteMessage,
      code,
      frames,
      stack: formatRemoteStack(`${err.remoteName}: ${err.remoteMessage}`, frames),
    };
  }
  if (err instanceof CrewError)
    return { name: err.name, message: err.message, code: err.code, frames: [], stack: `${err.message} [${err.code}]` };
  if (err instanceof Error)
    return { name: err.name, message: err.message, frames: [], stack: err.stack ?? err.message };
  return { name: 'Error', message: `non-Error thrown: ${inspect(err)}`, frames: [], stack: inspect(err) };
}
