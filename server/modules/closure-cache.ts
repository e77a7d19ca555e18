/**
 * What each module reaches (its closure), kept while none of its files changed on disk:
 * a new form that imports a large package resolves only its own imports, and takes the
 * package's graph from here. Checked by each file's size and modification time.
 */
import { statSync } from 'node:fs';
import type { ImportLink } from '../../protocol/messages/module-messages';

/** The files a module reaches, itself included, each with where its imports lead. */
export interface Closure {
  files: Map<string, ImportLink[]>;
}

/** How many closures are kept, the least recently used dropped first. */
const KEEP = 256;

export class ClosureCache {
  private readonly closures = new Map<string, { closure: Closure; stamps: Map<string, string> }>();

  /** The closure of the module at `path`, if kept and every file of it is unchanged. */
  get(path: string): Closure | undefined {
    const kept = this.closures.get(path);
    if (!kept) return undefined;
    for (const [file, was] of kept.stamps)
      if (stamp(file) !== was) {
        this.closures.delete(path);
        return undefined;
      }
    // Most recently used last.
    this.closures.delete(path);
    this.closures.set(path, kept);
    return kept.closure;
  }

  set(path: string, closure: Closure): void {
    if (this.closures.size >= KEEP) this.closures.delete(this.closures.keys().next().value!);
    this.closures.set(path, { closure, stamps: new Map([...closure.files.keys()].map((f) => [f, stamp(f)])) });
  }
}

/** A file's size and modification time, or `gone`. */
export function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'gone';
  }
}
