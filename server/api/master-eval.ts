/**
 * Evaluation on the master itself, for a null or empty pool (as in Swank Crew) and for the
 * master REPL. It shares one persistent context: the master's image.
 */
import { describeType } from '../../protocol/codec/codec';
import { crewError, ErrorCodes, RemoteError } from '../../protocol/errors';
import type { FormMode } from '../../protocol/messages/worker-link-messages';
import { Evaluator } from '../../worker/image/evaluator';
import { FormRegistry, isCallForm, type Form } from './form';

let image: Evaluator | undefined;
const registry = new FormRegistry();

/** The master's persistent context, made on first use. */
export function masterImage(): Evaluator {
  image ??= new Evaluator();
  return image;
}

/** Evaluates a form on the master. Errors are `RemoteError`s from worker `master`, as on a worker. */
export async function evalLocal(form: Form, mode: FormMode, extraArgs: unknown[] = []): Promise<unknown> {
  const ev = masterImage();
  const prepared = await registry.prepare(form, mode);
  if (!prepared.def.cache || !ev.has(prepared.def.id)) ev.define(prepared.def);
  try {
    return await ev.invoke(prepared.def.id, [...(prepared.args ?? []), ...extraArgs]);
  } catch (err) {
    throw new RemoteError('master', ev.describeError(err));
  } finally {
    ev.release(prepared.def.id);
  }
}

/** Evaluates a form that must give a function (`evalFormRepeatedly` and friends) on the master. */
export async function localFunction(form: Form): Promise<(...args: unknown[]) => unknown> {
  const fn = await evalLocal(form, isCallForm(form) ? 'call' : 'value');
  if (typeof fn !== 'function')
    throw crewError(ErrorCodes.BadForm, `the form must evaluate to a function, but gave ${describeType(fn)}`);
  return fn as (...args: unknown[]) => unknown;
}
