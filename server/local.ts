/**
 * Evaluation on the master itself, for a null or empty pool (as in Swank Crew) and for the
 * master REPL. It shares one persistent context: the master's image.
 */
import { RemoteError } from '../protocol/errors';
import type { FormMode } from '../protocol/messages';
import { Evaluator } from '../worker/evaluator';
import { FormRegistry, type Form } from './form';

let image: Evaluator | undefined;
const registry = new FormRegistry();

/** The master's persistent context, made on first use. */
export function masterImage(): Evaluator {
  image ??= new Evaluator();
  return image;
}

/** Evaluates a form on the master. Errors are `RemoteError`s from worker `master`, as on a worker. */
export async function evalLocal(form: Form, mode: FormMode, extraArgs: unknown[] = [], factory = false): Promise<unknown> {
  const ev = masterImage();
  const def = factory ? await registry.prepareFactory(form) : undefined;
  const prepared = def ? { def, args: undefined } : await registry.prepare(form, mode);
  if (!prepared.def.cache || !ev.has(prepared.def.id)) ev.define(prepared.def);
  try {
    return await ev.invoke(prepared.def.id, [...(prepared.args ?? []), ...extraArgs]);
  } catch (err) {
    throw new RemoteError('master', ev.describeError(err));
  } finally {
    ev.release(prepared.def.id);
  }
}
