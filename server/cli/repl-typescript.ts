/**
 * The `crew>` prompt takes TypeScript, as forms and files do: each input is stripped of its
 * types by esbuild (as forms are) before Node's REPL evaluates it, so `const n: number = 5`
 * works and top-level `await`, completion and `_` stay Node's.
 */
import { transformSync, type TransformFailure } from 'esbuild';

export type PromptInput =
  /** JavaScript for Node's REPL to evaluate. */
  | { code: string }
  /** The input stops mid-construct: the REPL asks for another line. */
  | { incomplete: Error };

/**
 * Input esbuild cannot read goes to Node's REPL as it is: Node tells a template literal that
 * goes on from a string that does not, and says what is wrong in JavaScript's words.
 */
export function promptInputToJs(input: string): PromptInput {
  // Node's REPL reads `{ a: 1 }` as an object, not a block: so does the prompt.
  if (/^\s*{/.test(input) && !/;\s*$/.test(input)) {
    const asObject = strip(`(${input.trim()})`);
    if (typeof asObject === 'string') return { code: asObject };
  }
  const stripped = strip(input);
  if (typeof stripped === 'string') return { code: stripped };
  // No messages: esbuild itself failed; Node's REPL still reads JavaScript.
  const first = stripped.errors?.[0];
  if (!first) return { code: input };
  const atEnd = first.location && offsetOf(input, first.location.line, first.location.column) >= input.trimEnd().length;
  if (atEnd && !/unterminated string/i.test(first.text)) return { incomplete: new SyntaxError(first.text) };
  return { code: input };
}

function strip(code: string): string | TransformFailure {
  try {
    return transformSync(code, { loader: 'ts', sourcefile: 'REPL' }).code;
  } catch (err) {
    return err as TransformFailure;
  }
}

/** The offset of a 1-based line and 0-based column in `text`. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset + column;
}
