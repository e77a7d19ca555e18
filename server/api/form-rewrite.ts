/**
 * How a form's top level is made to behave as at a REPL. A form runs as a script in the
 * worker's lasting context, so by the language's rules a second `const x` (evaluating the
 * same file again) is an error, and `await` and `import` are not allowed at all.
 * - Top-level `let`, `const` and `class` declare with `var`, so a form can be evaluated again.
 * - A form with top-level `await` or `import` becomes an async function, as in Node's REPL:
 *   its top-level names are declared outside it, in the context, so later forms still see
 *   them; `import` becomes `await __crewImport()`; its last expression is the value.
 * - `import(...)` anywhere becomes `__crewImport(...)`: the image's loader resolves what the form
 *   imports as the master resolved it from the form's file (server/modules/), and a script
 *   in a context cannot have its own `import()` without an experimental flag.
 * Every line stays where it was, so stack traces and the debugger point at the user's lines.
 */
import { childNodes, type AnyNode } from '../../worker/image/estree';

interface Edit {
  at: number;
  /** Characters replaced from `at`; 0 inserts. */
  length: number;
  text: string;
}

/**
 * The form rewritten as above, or undefined when it needs nothing rewritten or cannot be
 * parsed (its own syntax error is then the one to report).
 */
export async function rewriteForm(code: string, mode: 'value' | 'call' = 'value'): Promise<string | undefined> {
  if (!(mode === 'value' ? /\b(await|import|let|const|class)\b/ : /\bimport\b/).test(code)) return undefined;
  const { parse } = await import('acorn');
  let program: AnyNode | undefined;
  // As a script first: a module is strict, and forms need not be.
  for (const sourceType of ['script', 'module'] as const) {
    try {
      program = parse(code, {
        ecmaVersion: 'latest',
        sourceType,
        allowAwaitOutsideFunction: true,
        allowHashBang: true,
      }) as unknown as AnyNode;
      break;
    } catch {
      /* try as a module, for `import` */
    }
  }
  const body = (program?.body ?? []) as AnyNode[];
  if (body.some((s) => s.type.startsWith('Export'))) return undefined;
  // Applied before the other edits at the same place (apply() takes the last first).
  const calls: Edit[] = [];
  for (const s of body) importCalls(s, calls);
  // A call form is a function's text: only its `import(...)` calls change.
  if (mode === 'call') return calls.length ? apply(code, calls) : undefined;
  if (body.some((s) => s.type === 'ImportDeclaration' || awaitsAtTopLevel(s)))
    return asAsyncFunction(code, body, calls);
  const edits: Edit[] = [];
  // Keywords of the same length, so columns hold (a `let` without a value and a `class`
  // insert a little text after them on their line).
  for (const st of body) {
    if (st.type === 'VariableDeclaration' && (st.kind === 'let' || st.kind === 'const')) {
      edits.push({ at: st.start, length: (st.kind as string).length, text: st.kind === 'let' ? 'var' : 'var  ' });
      // `let x;` again makes x undefined again; `var x;` would keep its value.
      for (const d of st.declarations as AnyNode[])
        if (!d.init) edits.push({ at: d.end, length: 0, text: ' = void 0' });
    } else if (st.type === 'ClassDeclaration') edits.push(...assignDeclaration(st, 'var '));
  }
  return edits.length + calls.length ? apply(code, [...edits, ...calls]) : undefined;
}

function asAsyncFunction(code: string, body: AnyNode[], calls: Edit[]): string | undefined {
  const names: string[] = [];
  const edits: Edit[] = [];
  for (const st of body) {
    if (st.type === 'VariableDeclaration') declaration(st, names, edits);
    else if (st.type === 'FunctionDeclaration' || st.type === 'ClassDeclaration') {
      names.push((st.id as AnyNode).name as string);
      edits.push(...assignDeclaration(st, ''));
    } else if (st.type === 'ImportDeclaration') {
      const text = importAsAwait(st, names);
      if (text === undefined) return undefined;
      // The same number of lines, so the lines after it keep their numbers.
      const newlines = code.slice(st.start, st.end).split('\n').length - 1;
      edits.push({ at: st.start, length: st.end - st.start, text: text + '\n'.repeat(newlines) });
    }
  }
  const last = body[body.length - 1];
  if (last.type === 'ExpressionStatement') {
    const e = last.expression as AnyNode;
    edits.push({ at: e.start, length: 0, text: 'return (' }, { at: e.end, length: 0, text: ')' });
  }
  // `var`, not `let`: the same form can be evaluated again.
  const declared = names.length ? `var ${[...new Set(names)].join(', ')}; ` : '';
  return `${declared}(async () => {${apply(code, [...edits, ...calls])}\n})()`;
}

/** Each `import(...)` in `node` as a call of the image's loader. */
function importCalls(node: AnyNode, edits: Edit[]): void {
  if (node.type === 'ImportExpression') edits.push({ at: node.start, length: 'import'.length, text: '__crewImport' });
  for (const child of childNodes(node)) importCalls(child, edits);
}

/** `class A {}` (or a function) as `A = class A {};`, after `declare` (`var ` or nothing). */
function assignDeclaration(st: AnyNode, declare: string): Edit[] {
  const name = (st.id as AnyNode).name as string;
  return [
    { at: st.start, length: 0, text: `${declare}${name} = ` },
    { at: st.end, length: 0, text: ';' },
  ];
}

/** True when the statement awaits outside any function of its own. */
function awaitsAtTopLevel(node: AnyNode): boolean {
  if (node.type === 'AwaitExpression' || (node.type === 'ForOfStatement' && node.await === true)) return true;
  if (/Function|Method/.test(node.type) || node.type === 'StaticBlock' || node.type === 'PropertyDefinition')
    return false;
  return childNodes(node).some(awaitsAtTopLevel);
}

/** `const a = 1, { b } = c;` becomes `void ((a = 1), ({ b } = c));`, each name declared outside. */
function declaration(st: AnyNode, names: string[], edits: Edit[]): void {
  const nameOf = (id: AnyNode) => id.name as string;
  const declarators = st.declarations as AnyNode[];
  for (const d of declarators) namesIn(d.id as AnyNode, names);
  edits.push({ at: st.start, length: (st.kind as string).length, text: 'void (' });
  for (const d of declarators) {
    if (d.init) edits.push({ at: d.start, length: 0, text: '(' }, { at: d.end, length: 0, text: ')' });
    // `let x;` again makes x undefined again; `var x;` keeps its value.
    else
      edits.push({
        at: d.start,
        length: d.end - d.start,
        text: st.kind === 'var' ? 'void 0' : `(${nameOf(d.id as AnyNode)} = void 0)`,
      });
  }
  edits.push({ at: declarators[declarators.length - 1].end, length: 0, text: ')' });
}

/** An `import` as an assignment from `await __crewImport(...)`, its bindings added to `names`. */
function importAsAwait(st: AnyNode, names: string[]): string | undefined {
  if (Array.isArray(st.attributes) && st.attributes.length > 0) return undefined;
  const from = `await __crewImport(${JSON.stringify((st.source as AnyNode).value)})`;
  const specifiers = st.specifiers as AnyNode[];
  if (specifiers.length === 0) return `${from};`;
  const ns = specifiers.find((s) => s.type === 'ImportNamespaceSpecifier');
  const parts: string[] = [];
  for (const s of specifiers) {
    const local = (s.local as AnyNode).name as string;
    names.push(local);
    if (s.type === 'ImportDefaultSpecifier') parts.push(`default: ${local}`);
    else if (s.type === 'ImportSpecifier') {
      const imported = s.imported as AnyNode;
      parts.push(`${JSON.stringify(imported.type === 'Identifier' ? imported.name : imported.value)}: ${local}`);
    }
  }
  if (!ns) return `void ({ ${parts.join(', ')} } = ${from});`;
  const nsName = (ns.local as AnyNode).name as string;
  return parts.length ? `${nsName} = ${from}; void ({ ${parts.join(', ')} } = ${nsName});` : `${nsName} = ${from};`;
}

/** The names a binding pattern declares. */
function namesIn(pattern: AnyNode, out: string[]): void {
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name as string);
      break;
    case 'ObjectPattern':
      for (const p of pattern.properties as AnyNode[])
        namesIn((p.type === 'RestElement' ? p.argument : p.value) as AnyNode, out);
      break;
    case 'ArrayPattern':
      for (const e of pattern.elements as (AnyNode | null)[]) if (e) namesIn(e, out);
      break;
    case 'RestElement':
      namesIn(pattern.argument as AnyNode, out);
      break;
    case 'AssignmentPattern':
      namesIn(pattern.left as AnyNode, out);
      break;
  }
}

function apply(code: string, edits: Edit[]): string {
  // From the end, so earlier offsets stay valid; insertions at one place keep their order.
  const sorted = edits.map((e, i) => ({ ...e, i })).sort((a, b) => b.at - a.at || b.i - a.i);
  let out = code;
  for (const e of sorted) out = out.slice(0, e.at) + e.text + out.slice(e.at + e.length);
  return out;
}
