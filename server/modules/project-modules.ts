/**
 * The master's side of a project's modules: for each form that imports anything, the graph
 * it reaches (module-graph.ts) with each module named by the hash of its code
 * (module-code.ts); and the code of any hash a worker asks for. A form whose modules changed
 * on disk is made again, so an edit takes effect on the next evaluation.
 */
import type { FormModules, ModuleRef } from '../../protocol/messages/module-messages';
import { ModuleCodes } from './module-code';
import { ClosureCache, stamp } from './closure-cache';
import { resolveGraph, type GraphEntry } from './module-graph';

/** Code that may import: anything else skips the resolver. */
const MAY_IMPORT = /\b(import|require)\b/;

/** One per process: pools of the same master share what was transpiled and resolved, by path and time. */
const transpiled = new ModuleCodes();
const closures = new ClosureCache();

export class ProjectModules {
  readonly codes = transpiled;
  /** Each graph's files as they were when it was made: size and time, by path. */
  private readonly seen = new WeakMap<FormModules, Map<string, string>>();
  /** Graphs found unchanged in this turn of the event loop: a map over one form checks once per turn. */
  private checked = new WeakSet<FormModules>();
  private clearing?: NodeJS.Immediate;

  /** The modules `entry` imports, or undefined when it imports nothing. */
  async forForm(entry: GraphEntry): Promise<FormModules | undefined> {
    if (!MAY_IMPORT.test(entry.code)) return undefined;
    const resolved = await resolveGraph(entry, closures);
    if (resolved.imports.length === 0) return undefined;
    const graph = await Promise.all(
      [...resolved.files].map(async ([path, deps]): Promise<ModuleRef> => {
        const { hash } = await this.codes.of(path);
        return { path, hash, deps };
      }),
    );
    const modules: FormModules = { imports: resolved.imports, graph };
    // Stamped as the code was made: no second look at each file.
    this.seen.set(modules, new Map(graph.map((m) => [m.path, this.codes.stampOf(m.path)])));
    return modules;
  }

  /** Whether every module of `modules` is as it was on disk when the graph was made. */
  fresh(modules: FormModules): boolean {
    if (this.checked.has(modules)) return true;
    const seen = this.seen.get(modules);
    if (!seen) return false;
    for (const [path, was] of seen) if (stamp(path) !== was) return false;
    this.checked.add(modules);
    this.clearing ??= setImmediate(() => {
      this.clearing = undefined;
      this.checked = new WeakSet();
    });
    return true;
  }
}
