/**
 * Tab in the Crew REPL completes from the live images, as in the editor: a single match is
 * inserted, several are shortened to what they share and, once nothing more is shared,
 * listed with where each lives and its kind.
 */
import { ImageComplete } from '../protocol/messages/lsp-image-messages';
import type { CrewClient } from './client';
import { completionAt } from './image-text';

/** Most candidates listed at once. */
const MAX_LISTED = 40;

export interface Completed {
  line: string;
  cursor: number;
  /** Candidates to list under the line, when the line could not be completed further. */
  listed?: string[];
}

/** Completes `line` at `cursor`; the line as it was when there is nothing to add. */
export async function completeLine(crew: CrewClient, line: string, cursor: number): Promise<Completed> {
  const before = line.slice(0, cursor);
  const asked = crew.state === 'running' ? completionAt(before) : undefined;
  if (!asked) return { line, cursor };
  const prefix = asked.prefix ?? '';
  const r = await crew.request(ImageComplete.type, asked).catch(() => undefined);
  const matches = (r?.items ?? [])
    .filter((i) => i.label.startsWith(prefix))
    .sort((a, b) => (a.label < b.label ? -1 : 1));
  if (matches.length === 0) return { line, cursor };
  const shared = matches.map((m) => m.label).reduce(commonPrefix);
  if (shared.length > prefix.length) {
    const added = shared.slice(prefix.length);
    return { line: before + added + line.slice(cursor), cursor: cursor + added.length };
  }
  const listed = matches.slice(0, MAX_LISTED).map((m) => `${m.label} (${m.where.join(', ')} ${m.kind})`);
  if (matches.length > MAX_LISTED) listed.push(`… ${matches.length - MAX_LISTED} more`);
  return { line, cursor, listed };
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}
