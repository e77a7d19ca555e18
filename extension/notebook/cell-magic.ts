/**
 * Where a notebook cell runs, from its first line, as ipyparallel's `%%px` says it: no magic
 * runs on the master, `%%all` on every worker (replayed to workers that join later), and
 * `%%on w1` on one worker. The magic line is blanked, not removed, so that the lines of
 * errors and of the debugger are the cell's own.
 */

export type CellTarget = { kind: 'master' } | { kind: 'all' } | { kind: 'on'; worker: string };

export type ParsedCell = { target: CellTarget; code: string } | { error: string };

const MAGIC = /^[ \t]*%%(\S*)[ \t]*(.*?)[ \t]*$/;

/** The cell's target and the code to send, or why its magic line is wrong. */
export function parseCell(text: string): ParsedCell {
  const newline = text.indexOf('\n');
  const first = newline < 0 ? text : text.slice(0, newline);
  const rest = newline < 0 ? '' : text.slice(newline);
  const m = MAGIC.exec(first.replace(/\r$/, ''));
  if (!m) return { target: { kind: 'master' }, code: text };
  const [, name, arg] = m;
  if (name === 'all') {
    if (arg) return { error: `%%all takes nothing after it, got "${arg}"` };
    return { target: { kind: 'all' }, code: rest };
  }
  if (name === 'on') {
    if (!/^\S+$/.test(arg)) return { error: '%%on needs one worker, as in %%on w1 (an id or a worker name)' };
    return { target: arg === 'master' ? { kind: 'master' } : { kind: 'on', worker: arg }, code: rest };
  }
  return { error: `unknown cell magic %%${name}: use %%all (every worker) or %%on w1 (one worker)` };
}

/**
 * Folds equal printed values, as inline results do: one entry with its workers when they
 * agree, else one entry per value, in the order the workers came.
 */
export function foldValues<T extends { worker: string; value: string }>(
  outcomes: T[],
): { workers: string[]; first: T }[] {
  const groups = new Map<string, { workers: string[]; first: T }>();
  for (const o of outcomes) {
    const g = groups.get(o.value);
    if (g) g.workers.push(o.worker);
    else groups.set(o.value, { workers: [o.worker], first: o });
  }
  return [...groups.values()];
}
