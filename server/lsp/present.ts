/**
 * How values and errors are printed for the editor. The master keeps the real values; the
 * editor gets a full print for hovers and one short line for inline display.
 */
import { inspect } from 'node:util';
import { CrewError, ErrorCodes, formatRemoteStack, RemoteError } from '../../protocol/errors';
import type { EvalError, WorkerOutcome } from '../../protocol/messages/lsp-messages';

/** Longest inline summary, in characters. */
const SUMMARY_CHARS = 120;
/** Longest JSON view sent to the editor, in characters; a larger value has its printed text only. */
const JSON_CHARS = 200_000;

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
  const outcome: WorkerOutcome = { worker, ok: true, value: printValue(value, colors), summary: summarize(value) };
  const json = jsonView(value);
  if (json !== undefined) outcome.json = json;
  return outcome;
}

/** An object literal's kind, from any realm: the master's own context makes its objects in another one. */
function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * JSON of a plain object or array, when JSON holds it whole. A Map, a class instance or a
 * Date would come out as something else (`{}`, a string), so those keep their print only.
 */
export function jsonView(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !(Array.isArray(value) || isPlain(value))) return undefined;
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol' || v === undefined)
        throw new Error('not JSON');
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && !isPlain(v)) throw new Error('not JSON');
      return v;
    });
    return text.length <= JSON_CHARS ? text : undefined;
  } catch {
    return undefined; // cycles, BigInt and the like: the printed value says it better
  }
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
