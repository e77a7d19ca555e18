/** Walking ESTree syntax trees (as acorn gives them), whatever the node types. */
import type { Node } from 'acorn';

/** A node with its fields, for reading type-specific ones without a cast per type. */
export type AnyNode = Node & Record<string, unknown>;

/** The child nodes of a node, in field order. */
export function childNodes(node: Node): AnyNode[] {
  const out: AnyNode[] = [];
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) {
      for (const v of value) if (isNode(v)) out.push(v);
    } else if (isNode(value)) out.push(value);
  }
  return out;
}

function isNode(x: unknown): x is AnyNode {
  return (
    typeof x === 'object' && x !== null && typeof (x as Node).type === 'string' && typeof (x as Node).start === 'number'
  );
}
