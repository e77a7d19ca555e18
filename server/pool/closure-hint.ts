/**
 * A function sent with `form(fn)` travels as its text, without its closure, so a variable it
 * used from where it was written is not defined on the worker. The worker's ReferenceError
 * alone reads as a bug in the worker; this says why, and how to pass the value instead.
 */
import type { RemoteErrorData } from '../../protocol/errors';
import type { FormDef } from '../../protocol/messages/worker-link-messages';

/** `data`, with a hint added when a `form(fn)` function used a variable of its closure. */
export function withClosureHint(def: Pick<FormDef, 'filename'>, data: RemoteErrorData): RemoteErrorData {
  const missing = /^(\S+) is not defined$/.exec(data.message)?.[1];
  if (data.name !== 'ReferenceError' || !missing || !def.filename.startsWith('form:')) return data;
  return {
    ...data,
    message:
      `${data.message} (form() sends a function's text, not its closure: if ${missing} is a variable ` +
      `where the function was written, pass it as an argument, form((${missing}, x) => ..., ${missing}), ` +
      'or define it on the workers first with evalFormAllWorkers)',
  };
}
