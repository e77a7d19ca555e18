/**
 * Whether a frame's code catches what is thrown through it. V8 cannot say: its "uncaught"
 * prediction counts every handler on the stack, and a form always has two, `vm`'s native one
 * and the evaluator's (test/unit/v8-uncaught.test.mjs shows it on each Node). The debugger
 * asks this instead, for each frame between the throw and the evaluator, and suspends only
 * when none of them catches, as SLDB does.
 */
import type { Node } from 'acorn';
import { childNodes } from '../image/estree';

/** A parsed script, with where each of its lines starts. */
export interface ParsedScript {
  ast: Node;
  lineStarts: number[];
}

/**
 * Parses JavaScript as a script, or else as a module; undefined when it is neither. The
 * parser loads on first use: only a debugged worker needs it.
 */
export async function parseScript(source: string): Promise<ParsedScript | undefined> {
  const { parse } = await import('acorn');
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  for (const sourceType of ['script', 'module'] as const) {
    try {
      // Node's CommonJS files and its own modules are function bodies: `return` is allowed.
      const ast = parse(source, {
        ecmaVersion: 'latest',
        sourceType,
        allowReturnOutsideFunction: true,
        allowAwaitOutsideFunction: true,
        allowHashBang: true,
      });
      return { ast, lineStarts };
    } catch {
      /* try the other kind */
    }
  }
  return undefined;
}

/**
 * True when the position (0-based line and column in the script's own text) is inside the
 * `try` block of a `try … catch` of the innermost function around it. A `try` in an outer
 * function does not count: if that function is on the stack, its own frame says so.
 */
export function catchesAt(script: ParsedScript, line: number, column: number): boolean {
  const start = script.lineStarts[line];
  if (start === undefined) return false;
  const offset = start + column;
  let caught = false;
  const visit = (node: Node): void => {
    if (isFunction(node)) caught = false;
    if (node.type === 'TryStatement') {
      const t = node as Node & { block: Node; handler: Node | null };
      if (t.handler && within(t.block, offset)) caught = true;
    }
    for (const child of childNodes(node)) if (within(child, offset)) visit(child);
  };
  visit(script.ast);
  return caught;
}

const FUNCTIONS = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'StaticBlock',
  'PropertyDefinition',
]);

function isFunction(node: Node): boolean {
  return FUNCTIONS.has(node.type);
}

function within(node: Node, offset: number): boolean {
  return node.start <= offset && offset < node.end;
}
