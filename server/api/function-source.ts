/**
 * The text of a function, as an expression a worker can evaluate. A method's text is not one
 * (`m(x) { ... }`, from `form(o.m)`), so it becomes the function expression it stands for;
 * only what it refers to through `this` is lost, as with any method taken from its object.
 */
import { crewError, ErrorCodes } from '../../protocol/errors';

/** Whether `code` parses as an expression. Compiled, never run. */
function isExpression(code: string): boolean {
  try {
    new Function(`return (${code}\n)`);
    return true;
  } catch {
    return false;
  }
}

/** How functions and arrows begin; only other text (a method's) is parsed to find out. */
const PLAIN_START = /^(?:(?:async\s*)?(?:function\b|\(|[A-Za-z_$][\w$]*\s*=>)|class\b)/;

/** `fn`'s source as an expression; a method's becomes `function name(...) {...}`. */
export function functionSource(fn: (...args: never[]) => unknown): string {
  const code = fn.toString();
  if (PLAIN_START.test(code) || isExpression(code)) return code;
  const head = /^(async\s+)?(\*\s*)?([A-Za-z_$][\w$]*)\s*\(/.exec(code);
  if (head) {
    const [whole, async = '', star = '', name] = head;
    const asFunction = `${async}function${star ? '*' : ''} ${name}${code.slice(whole.length - 1)}`;
    if (isExpression(asFunction)) return asFunction;
  }
  throw crewError(
    ErrorCodes.BadForm,
    `form() cannot send ${fn.name || 'this function'}: its text (${code.slice(0, 40)}...) is not a function ` +
      'expression, as a getter or a method with a computed name is not; pass an arrow, (x) => ...',
  );
}
