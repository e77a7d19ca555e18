/**
 * Turns a V8 stack into {@link StackFrame}s mapped to the user's source. Each form is compiled
 * under a unique script name (`<file>#crew<id>`) so frames from different forms of the same
 * file find their own source map.
 */
import { SourceMap } from 'node:module';
import { dirname, isAbsolute } from 'node:path';
import type { StackFrame } from '../../protocol/errors';
import type { ModuleCode } from '../../protocol/messages/module-messages';
import type { FormDef } from '../../protocol/messages/worker-link-messages';

const FORM_SUFFIX = /^(.*)#crew(\d+)$/;
/** A shipped module's script name: its file on the master, and its hash (worker/modules/). */
const MODULE_SUFFIX = /^(.*)#crewm[0-9a-f]+$/;
const runtimeDir = dirname(__filename);

/** The script name V8 sees for a form. */
export function scriptNameFor(def: FormDef): string {
  return `${def.filename}#crew${def.id}`;
}

/**
 * A form's code as V8 compiles it. A form from a file on disk names its source map inline,
 * so a debugger attached over CDP (VS Code's js-debug) resolves the script to the user's
 * file, and pauses before it runs to bind that file's breakpoints
 * (`Debugger.setInstrumentationBreakpoint`, `beforeScriptWithSourceMapExecution`).
 */
export function scriptCodeFor(def: FormDef): string {
  if (!def.sourceMap || !isAbsolute(def.filename)) return def.code;
  const inline = Buffer.from(def.sourceMap).toString('base64');
  return `${def.code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${inline}`;
}

/** Positions of forms, by form id, so stack frames can be mapped back. */
export class SourceMaps {
  /** Maps are parsed when a stack first needs one: most forms never throw. */
  private readonly forms = new Map<number, { def: FormDef; map?: SourceMap | null }>();
  /** Shipped modules, by script name: what their frames map through. */
  private readonly modules = new Map<
    string,
    { def: Pick<FormDef, 'sourceMap' | 'filename'>; map?: SourceMap | null }
  >();

  /** Remembers a form; with `limit`, the oldest forms are forgotten beyond that many. */
  add(def: FormDef, limit?: number): void {
    if (limit !== undefined && this.forms.size >= limit) this.forms.delete(this.forms.keys().next().value!);
    this.forms.set(def.id, { def });
  }

  /** Remembers a shipped module compiled under `scriptName`. */
  addModule(scriptName: string, code: ModuleCode): void {
    this.modules.set(scriptName, { def: { sourceMap: code.map, filename: code.path } });
  }

  private mapOf(entry: { def: Pick<FormDef, 'sourceMap'>; map?: SourceMap | null }): SourceMap | undefined {
    if (entry.map === undefined) {
      entry.map = null;
      if (entry.def.sourceMap)
        try {
          entry.map = new SourceMap(JSON.parse(entry.def.sourceMap) as ConstructorParameters<typeof SourceMap>[0]);
        } catch {
          entry.map = null;
        }
    }
    return entry.map ?? undefined;
  }

  delete(id: number): void {
    this.forms.delete(id);
  }

  /**
   * Maps a 1-based position in a script to the user's file. Returns undefined when the
   * script is not a form.
   */
  mapPosition(
    scriptName: string,
    line: number,
    column: number,
  ): { file: string; line: number; column: number } | undefined {
    const m = FORM_SUFFIX.exec(scriptName) ?? MODULE_SUFFIX.exec(scriptName);
    if (!m) return undefined;
    const entry = m.length > 2 ? this.forms.get(Number(m[2])) : this.modules.get(scriptName);
    const map = entry && this.mapOf(entry);
    if (!entry || !map) return { file: m[1], line, column };
    const hit = map.findEntry(line - 1, column - 1) as { originalLine?: number; originalColumn?: number };
    if (hit.originalLine === undefined || hit.originalColumn === undefined) return { file: m[1], line, column };
    // A form's map counts lines and columns of its file (server/api/form-source-map.ts).
    return { file: entry.def.filename, line: hit.originalLine + 1, column: hit.originalColumn + 1 };
  }

  /** Parses `err.stack` and maps each frame. */
  framesOf(stack: string | undefined): StackFrame[] {
    if (!stack) return [];
    const frames: StackFrame[] = [];
    for (const raw of stack.split('\n')) {
      const m = /^\s+at (?:(.*?) \((.*):(\d+):(\d+)\)|(.*):(\d+):(\d+))$/.exec(raw);
      if (!m) continue;
      const functionName = m[1] ?? '';
      const file = m[2] ?? m[5];
      const line = Number(m[3] ?? m[6]);
      const column = Number(m[4] ?? m[7]);
      const mapped = this.mapPosition(file, line, column);
      if (mapped) frames.push({ functionName, ...mapped, internal: false });
      else frames.push({ functionName, file, line, column, internal: isInternalFile(file) });
    }
    return frames;
  }
}

/** Frames of Node itself and of Crew's runtime, hidden by default. */
export function isInternalFile(file: string): boolean {
  return (
    file.startsWith('node:') ||
    file.startsWith(runtimeDir) ||
    file === 'evalmachine.<anonymous>' ||
    file === '<anonymous>'
  );
}
