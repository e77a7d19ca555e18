/**
 * How values and errors are printed for the editor. The master keeps the real values; the
 * editor gets a full print for hovers and one short line for inline display. Every print is
 * bounded (protocol/value-view.ts): a value a worker sent can be tiny on the wire and huge as
 * a tree, and printing it whole would hang the LSP server.
 */
import { CrewError, ErrorCodes, formatRemoteStack, RemoteError } from '../../protocol/errors';
import { boundedJson, type JsonLimits } from '../../protocol/json-view';
import type { EvalError, WorkerOutcome } from '../../protocol/messages/lsp-messages';
import { boundedInspect, type ViewLimits } from '../../protocol/value-view';

/** The full print, for hovers, the REPL view and notebook output. */
export const PRINT_LIMITS: ViewLimits = { depth: 6, items: 200, stringChars: 20_000, nodes: 5_000, chars: 200_000 };
/** Longest inline summary, in characters. */
const SUMMARY_CHARS = 120;
const SUMMARY_LIMITS: ViewLimits = { depth: 2, items: 20, stringChars: SUMMARY_CHARS, nodes: 200, chars: 2_000 };
/** The JSON view sent to the editor; a larger value has its printed text only. */
const JSON_LIMITS: JsonLimits = { nodes: 200_000, chars: 200_000, depth: 100 };

/** The full print of a value, within {@link PRINT_LIMITS}. */
export function printValue(value: unknown, colors = false): string {
  return boundedInspect(value, PRINT_LIMITS, { colors, breakLength: 100 });
}

/** One short line for inline display. */
export function summarize(value: unknown): string {
  const text = boundedInspect(value, SUMMARY_LIMITS, { colors: false, breakLength: Infinity, compact: true });
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length > SUMMARY_CHARS ? `${line.slice(0, SUMMARY_CHARS - 1)}…` : line;
}

export function valueOutcome(worker: string, value: unknown, colors = false): WorkerOutcome {
  const outcome: WorkerOutcome = { worker, ok: true, value: printValue(value, colors), summary: summarize(value) };
  const json = jsonView(value);
  if (json !== undefined) outcome.json = json;
  return outcome;
}

/**
 * JSON of a plain object or array, when JSON holds it whole and it is not too large. A Map, a
 * class instance or a Date would come out as something else (`{}`, a string), so those keep
 * their print only.
 */
export function jsonView(value: unknown): string | undefined {
  return boundedJson(value, JSON_LIMITS);
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
  const text = boundedInspect(err, SUMMARY_LIMITS);
  return { name: 'Error', message: `non-Error thrown: ${text}`, frames: [], stack: text };
}
