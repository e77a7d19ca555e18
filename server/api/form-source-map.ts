/**
 * Source maps of forms, placed in the user's file: every form carries one whose source is
 * the file it came from (a `file:` URL when the file's path is absolute) and whose original
 * lines and columns are those of that file, not of the form. VS Code's debugger (js-debug)
 * then resolves a form's frames and breakpoints to the user's own `.ts` or `.js` file, and
 * the worker maps `RemoteError.frames` and the Crew Debugger's frames with the same map.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A source map's fields as Crew writes them. */
interface RawMap {
  version: 3;
  sources: string[];
  names: string[];
  mappings: string;
}

/** The name a map gives the user's file: its `file:` URL for an absolute path, else the name as it is. */
export function sourceUrl(filename: string): string {
  return isAbsolute(filename) ? pathToFileURL(filename).href : filename;
}

/**
 * Text that puts `code` at `line`:`column` of its file when put before it: tools that map
 * positions (esbuild) then count the file's own lines and columns.
 */
export function placePadding(line: number, column: number): string {
  return '\n'.repeat(Math.max(0, line - 1)) + ' '.repeat(Math.max(0, column - 1));
}

/** esbuild's map of a placed form, with its source named by {@link sourceUrl}. */
export function placedMap(esbuildMap: string, filename: string): string {
  const map = JSON.parse(esbuildMap) as RawMap;
  return JSON.stringify({ version: 3, sources: [sourceUrl(filename)], names: map.names ?? [], mappings: map.mappings });
}

/**
 * A map for JavaScript that runs as written: each generated line is the user's line
 * `line + i`, and each token keeps its column (the first line is shifted by `column`).
 * `code` is the user's text; a REPL rewrite keeps its lines and nearly all its columns.
 */
export function lineMap(code: string, filename: string, line: number, column: number): string {
  const lines = code.split('\n');
  let prevOrigLine = 0;
  let prevOrigCol = 0;
  const out: string[] = [];
  lines.forEach((text, i) => {
    let prevGenCol = 0;
    const segments: string[] = [];
    const origLine = line - 1 + i;
    const shift = i === 0 ? column - 1 : 0;
    // A segment where each word or punctuation starts: a breakpoint or a step lands on one.
    for (const m of text.matchAll(/[\w$]+|\S/g)) {
      const genCol = m.index;
      const origCol = genCol + shift;
      segments.push(vlq(genCol - prevGenCol) + vlq(0) + vlq(origLine - prevOrigLine) + vlq(origCol - prevOrigCol));
      prevGenCol = genCol;
      prevOrigLine = origLine;
      prevOrigCol = origCol;
    }
    out.push(segments.join(','));
  });
  const map: RawMap = { version: 3, sources: [sourceUrl(filename)], names: [], mappings: out.join(';') };
  return JSON.stringify(map);
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One number in a source map's base-64 VLQ. */
function vlq(n: number): string {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let s = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    s += BASE64[digit];
  } while (v > 0);
  return s;
}
