/**
 * A live function's parameters as its source declares them, as SLIME's autodoc shows an
 * arglist: `(w, h = 1, ...rest)`. Read from `Function.prototype.toString`, which gives the
 * compiled JavaScript (TypeScript's annotations are gone by then). A function without source
 * (a built-in, a bound function) gets `arg0, arg1...` from its `length`.
 */

/** The most characters of source read: a parameter list longer than this is cut. */
const MAX_SOURCE = 4000;

/** The parameters of `fn`, each as written in its source. */
export function parametersOf(fn: (...args: unknown[]) => unknown): string[] {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn).slice(0, MAX_SOURCE);
  } catch {
    return byLength(fn);
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) return byLength(fn);
  if (/^class\b/.test(source)) {
    const ctor = /\bconstructor\s*\(/.exec(source);
    return ctor ? splitList(source, ctor.index + ctor[0].length - 1) : [];
  }
  // `x => ...` and `async x => ...`: one parameter without parentheses.
  const bare = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source);
  if (bare) return [bare[1]];
  const open = source.indexOf('(');
  return open < 0 ? byLength(fn) : splitList(source, open);
}

function byLength(fn: (...args: unknown[]) => unknown): string[] {
  const n = typeof fn.length === 'number' ? Math.min(fn.length, 16) : 0;
  return Array.from({ length: n }, (_, i) => `arg${i}`);
}

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * The comma-separated items of the bracketed list that opens at `open`, split only at its
 * own level: a default value's call, an array or a string with a comma stays whole.
 */
function splitList(source: string, open: number): string[] {
  const items: string[] = [];
  const stack: string[] = [];
  let start = open + 1;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(source, i);
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 1;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
      continue;
    }
    if (c in CLOSERS) stack.push(CLOSERS[c]);
    else if (c === stack.at(-1)) {
      stack.pop();
      if (stack.length === 0) {
        push(items, source.slice(start, i));
        return items;
      }
    } else if (c === ',' && stack.length === 1) {
      push(items, source.slice(start, i));
      start = i + 1;
    }
  }
  return items;
}

function push(items: string[], text: string): void {
  const item = text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (item) items.push(item);
}

/** The index of the quote that closes the string opening at `i`. */
function skipString(source: string, i: number): number {
  const quote = source[i];
  for (let j = i + 1; j < source.length; j++) {
    if (source[j] === '\\') j++;
    else if (source[j] === quote) return j;
  }
  return source.length;
}
