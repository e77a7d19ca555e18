/**
 * The built-in roots of an image's prototype chains. A context has its own `Object.prototype`
 * and `Function.prototype`, and the globals it borrows from its thread (`console`,
 * `process`) have the thread's: walking up a chain stops at any of them.
 */
import vm from 'node:vm';

const roots = new WeakMap<vm.Context, ReadonlySet<unknown>>();

/** `Object.prototype` and `Function.prototype` of the context and of this thread. */
export function builtinRoots(context: vm.Context): ReadonlySet<unknown> {
  let set = roots.get(context);
  if (!set) {
    const inside = vm.runInContext('[Object.prototype, Function.prototype]', context) as unknown[];
    roots.set(context, (set = new Set([...inside, Object.prototype, Function.prototype])));
  }
  return set;
}
