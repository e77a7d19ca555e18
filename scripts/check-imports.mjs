// Checks the shape of Crew's source: no circles among relative imports (type imports count,
// since a type circle still ties two files together), no source file over 300 lines, `vscode`
// imported at run time only by the extension, and nothing under server/ but the package
// entry importing that entry. Exits 1 and names the files when any check fails.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['protocol', 'worker', 'server', 'extension'];
const MAX_LINES = 300;
const ENTRY = 'server/index.ts';

/** Every TypeScript source file of the folders, relative to the root, with `/`. */
function sourceFiles() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(join(root, dir))) {
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
      const rel = `${dir}/${name}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) files.push(rel);
    }
  };
  for (const f of FOLDERS) walk(f);
  return files.sort();
}

/** The module specifiers a file imports, each with whether it is needed at run time. */
function importsOf(file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name && !!named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly)));
      found.push({ spec: node.moduleSpecifier.text, runtime: !typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause;
      const typeOnly =
        node.isTypeOnly || (!!named && ts.isNamedExports(named) && named.elements.every((e) => e.isTypeOnly));
      found.push({ spec: node.moduleSpecifier.text, runtime: !typeOnly });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({ spec: node.moduleReference.expression.text, runtime: !node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ spec: node.arguments[0].text, runtime: true });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal;
      if (ts.isStringLiteral(lit)) found.push({ spec: lit.text, runtime: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The source file a relative specifier names, if it is one of ours. */
function resolveRelative(from, spec, known) {
  const base = relative(root, resolve(root, dirname(from), spec))
    .split('\\')
    .join('/');
  const stem = base.replace(/\.(m?js|ts)$/, '');
  for (const c of [base, `${stem}.ts`, `${stem}.tsx`, `${base}/index.ts`]) if (known.has(c)) return c;
  return undefined;
}

/** Strongly connected components with more than one file, or a file that imports itself (Tarjan). */
function circles(graph) {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) !== idx.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).has(v)) out.push(component.sort());
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out;
}

/** One shortest path of imports from `start` back to itself inside a component. */
function cycleThrough(graph, component, start) {
  const inside = new Set(component);
  const prev = new Map([[start, undefined]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const w of graph.get(queue[i])) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let v = queue[i]; v !== start; v = prev.get(v)) path.splice(1, 0, v);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, queue[i]);
        queue.push(w);
      }
    }
  }
  return [start];
}

const files = sourceFiles();
const known = new Set(files);
const graph = new Map(files.map((f) => [f, new Set()]));
const problems = [];

for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_LINES) problems.push(`${file} has ${lines} lines; the limit is ${MAX_LINES}`);
  for (const { spec, runtime } of importsOf(file, text)) {
    if (spec === 'vscode' && runtime && !file.startsWith('extension/'))
      problems.push(`${file} imports vscode at run time; only extension/ may`);
    if (!spec.startsWith('.')) continue;
    const target = resolveRelative(file, spec, known);
    if (!target) continue;
    graph.get(file).add(target);
    if (target === ENTRY && file.startsWith('server/') && file !== ENTRY)
      problems.push(`${file} imports the package entry ${ENTRY}; import the module that defines the names`);
  }
}

for (const component of circles(graph)) {
  const path = cycleThrough(graph, component, component[0]);
  problems.push(
    `import circle among ${component.length} file${component.length === 1 ? '' : 's'}: ${component.join(', ')}` +
      `\n    e.g. ${path.join(' -> ')}`,
  );
}

if (problems.length > 0) {
  process.stderr.write(`check-imports: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
  for (const p of problems) process.stderr.write(`  ${p}\n`);
  process.exit(1);
}
process.stdout.write(`check-imports: ${files.length} files, no circles, none over ${MAX_LINES} lines\n`);
