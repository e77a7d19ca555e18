/**
 * A V8 CPU profile of the eval thread, turned into what its user reads: each call frame of a
 * form (`<file>#crew<id>`) or of a shipped module (`<file>#crewm<hash>`) is moved to the
 * user's file, line and column through the source map its script carries inline (see
 * source-maps.ts and module-loader.ts), TypeScript included. Crew's own frames (its runtime in
 * the worker) are marked `crew: 'runtime'`, and the user's `crew: 'user'`. VS Code's
 * profile viewer reads the `$vscode` locations js-debug writes: a user's frame opens its file
 * at its line, and a frame with no location (Crew's, Node's) is shown with library code.
 */
import { SourceMap } from 'node:module';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isInternalFile } from '../image/source-maps';
import type { CpuProfile, ProfileCallFrame, ProfileLocation } from '../../protocol/messages/profile-messages';

/** A script of the eval thread, as `Debugger.scriptParsed` told it. */
export interface ParsedScript {
  url: string;
  sourceMapURL?: string;
}

const CREW_SCRIPT = /^(.*)#crewm?[0-9a-f]+$/;

/** A script's name as Crew gave it: V8 reports a path as a `file://` URL, `#` as `%23`. */
export function scriptName(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return decodeURIComponent(url.slice('file://'.length));
  } catch {
    return url;
  }
}

/** Maps every frame of `profile` in place; `scripts` holds the scripts its frames name. */
export function mapProfile(profile: CpuProfile, scripts: ReadonlyMap<string, ParsedScript>): CpuProfile {
  const maps = new Map<string, SourceMap | null>();
  const locations: ProfileLocation[] = [];
  const byKey = new Map<string, number>();
  for (const node of profile.nodes) {
    const raw = node.callFrame;
    const name = scriptName(raw.url || scripts.get(raw.scriptId)?.url || '');
    const crewScript = CREW_SCRIPT.exec(name);
    let frame = raw;
    if (crewScript) {
      const map = mapFor(raw.scriptId, scripts, maps);
      const at = map && original(map, raw.lineNumber, raw.columnNumber);
      const file = crewScript[1];
      // A form typed at a prompt has no file: its name stays, and no editor location.
      frame = { ...raw, url: isAbsolute(file) ? pathToFileURL(file).href : file, ...(at ?? {}) };
      node.crew = 'user';
      if (map && node.positionTicks) node.positionTicks = mapTicks(map, node.positionTicks);
    } else if (name && isInternalFile(name) && !name.startsWith('node:')) node.crew = 'runtime';
    node.callFrame = frame;
    const key = `${frame.functionName}\0${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}`;
    let locationId = byKey.get(key);
    if (locationId === undefined) {
      locationId = locations.length;
      byKey.set(key, locationId);
      locations.push({
        callFrame: frame,
        locations: node.crew === 'user' && frame.url.startsWith('file:') ? [sourceOf(frame)] : [],
      });
    }
    node.locationId = locationId;
  }
  profile.$vscode = { locations };
  return profile;
}

function sourceOf(frame: ProfileCallFrame): ProfileLocation['locations'][number] {
  const path = fileURLToPath(frame.url);
  // VS Code's viewer counts these from 1, as the editor does (CDP's call frames count from 0).
  return {
    lineNumber: frame.lineNumber + 1,
    columnNumber: frame.columnNumber + 1,
    source: { name: path, path, sourceReference: 0 },
  };
}

function mapFor(
  scriptId: string,
  scripts: ReadonlyMap<string, ParsedScript>,
  maps: Map<string, SourceMap | null>,
): SourceMap | null {
  let map = maps.get(scriptId);
  if (map !== undefined) return map;
  map = null;
  const url = scripts.get(scriptId)?.sourceMapURL ?? '';
  const inline = /^data:application\/json[^,]*;base64,(.*)$/.exec(url);
  if (inline)
    try {
      map = new SourceMap(
        JSON.parse(Buffer.from(inline[1], 'base64').toString()) as ConstructorParameters<typeof SourceMap>[0],
      );
    } catch {
      map = null;
    }
  maps.set(scriptId, map);
  return map;
}

/** The user's 0-based line and column for a 0-based position in a script, if its map knows it. */
function original(map: SourceMap, lineNumber: number, columnNumber: number) {
  if (lineNumber < 0) return undefined;
  const hit = map.findEntry(lineNumber, Math.max(columnNumber, 0)) as {
    originalLine?: number;
    originalColumn?: number;
  };
  if (hit.originalLine === undefined || hit.originalColumn === undefined) return undefined;
  return { lineNumber: hit.originalLine, columnNumber: hit.originalColumn };
}

/** Line ticks (1-based lines) moved to the user's lines; ticks of one line are added up. */
function mapTicks(map: SourceMap, ticks: { line: number; ticks: number }[]): { line: number; ticks: number }[] {
  const byLine = new Map<number, number>();
  for (const t of ticks) {
    const at = original(map, t.line - 1, 0);
    if (at) byLine.set(at.lineNumber + 1, (byLine.get(at.lineNumber + 1) ?? 0) + t.ticks);
  }
  return [...byLine].map(([line, n]) => ({ line, ticks: n }));
}
