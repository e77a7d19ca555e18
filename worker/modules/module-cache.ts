/**
 * The worker's cache of modules' code, on disk, by hash: a fresh eval thread, a second
 * master's session, or the next job on the same host gets a module without asking its
 * master again. It lives in the user's cache folder (`$CREW_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/crew`, else `~/.cache/crew`), readable by the user alone, and is bounded:
 * past its size, the entries used least recently go.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ModuleCode } from '../../protocol/messages/module-messages';
import { moduleHash } from '../../protocol/module-hash';

/** Past this many bytes the cache drops its least recently used entries. */
export const MODULE_CACHE_BYTES = 512 * 1024 * 1024;

/** The cache's folder. */
export function moduleCacheDir(): string {
  const base = process.env.CREW_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'crew');
  return join(base, 'modules');
}

export class ModuleCache {
  private written = 0;

  constructor(
    private readonly dir = moduleCacheDir(),
    private readonly maxBytes = MODULE_CACHE_BYTES,
  ) {}

  /** The module of `hash`, if cached and intact (its code still has that hash). */
  get(hash: string): ModuleCode | undefined {
    if (!/^[0-9a-f]{40}$/.test(hash)) return undefined;
    const file = join(this.dir, `${hash}.json`);
    try {
      const code = JSON.parse(readFileSync(file, 'utf8')) as ModuleCode;
      if (moduleHash(code.code, code.map) !== hash) return undefined;
      const now = new Date();
      utimesSync(file, now, now);
      return code;
    } catch {
      return undefined;
    }
  }

  /** Keeps `code`; a cache that cannot be written only costs a fetch next time. */
  put(code: ModuleCode): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const file = join(this.dir, `${code.hash}.json`);
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, JSON.stringify(code), { mode: 0o600 });
      chmodSync(partial, 0o600);
      // Whole or absent: another process on the host may read it at any time.
      renameSync(partial, file);
      this.written += code.code.length + (code.map?.length ?? 0);
      if (this.written > this.maxBytes / 16) this.prune();
    } catch {
      /* read-only or full: the module still runs from memory */
    }
  }

  /** Drops the least recently used entries until the cache fits its bound. */
  prune(): void {
    this.written = 0;
    let entries: { file: string; size: number; used: number }[];
    try {
      entries = readdirSync(this.dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => {
          const s = statSync(join(this.dir, f));
          return { file: join(this.dir, f), size: s.size, used: s.mtimeMs };
        });
    } catch {
      return;
    }
    let total = entries.reduce((n, e) => n + e.size, 0);
    entries.sort((a, b) => a.used - b.used);
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      try {
        unlinkSync(e.file);
        total -= e.size;
      } catch {
        /* gone already */
      }
    }
  }
}
