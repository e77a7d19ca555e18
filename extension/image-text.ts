/**
 * What the text before the cursor asks of the live images: a global's name, a member after a
 * dot, a `store` key or an agent's name inside a string, or a call's argument list. Plain
 * text rules, as SLIME's completion reads the symbol at point: only plain property chains
 * (`a.b.c`) are followed, never a call or an index, so asking evaluates nothing.
 */
import type { ImageCompleteParams } from '../protocol/messages/lsp-image-messages';

const IDENT = '[A-Za-z_$][\\w$]*';
/** `a.b.` or `a . b?.` : a chain of names, each followed by a dot. */
const CHAIN_BEFORE = new RegExp(`(?<![\\w$.)\\]])((?:${IDENT}\\s*\\??\\.\\s*)+)(${IDENT})?$`);
const NAME_BEFORE = new RegExp(`(?<![\\w$.])(${IDENT})?$`);
const STORE_KEY = /\bstore\s*\.\s*(?:get|has|delete|set)\(\s*(['"`])([^'"`\\]*)$/;
/** Agent functions whose first argument may be a registered name. */
const AGENT_NAME = /\b(?:send|whereis|exitAgent|link|unlink|unregister)\(\s*(['"`])([^'"`\\]*)$/;
const PATH_AT_END = new RegExp(`(?<![\\w$.)\\]])((?:${IDENT}\\s*\\??\\.\\s*)*${IDENT})$`);

/** Whether the cursor is in a line comment or inside a string, as far as the line shows. */
function inCommentOrString(before: string): boolean {
  let quote = '';
  for (let i = 0; i < before.length; i++) {
    const c = before[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '/' && before[i + 1] === '/') return true;
  }
  return quote !== '';
}

/** What to ask for completion at the end of `before` (the line up to the cursor), if anything. */
export function completionAt(before: string): ImageCompleteParams | undefined {
  const key = STORE_KEY.exec(before);
  if (key) return { context: 'storeKey', prefix: key[2] };
  const agent = AGENT_NAME.exec(before);
  if (agent) return { context: 'agentName', prefix: agent[2] };
  if (inCommentOrString(before)) return undefined;
  const chain = CHAIN_BEFORE.exec(before);
  if (chain) return { context: 'member', path: pathOf(chain[1]), prefix: chain[2] ?? '' };
  const name = NAME_BEFORE.exec(before);
  if (name && !/\d$/.test(before.slice(0, name.index))) return { context: 'name', prefix: name[1] ?? '' };
  return undefined;
}

function pathOf(chain: string): string[] {
  return chain
    .split('.')
    .map((p) => p.replace(/[\s?]/g, ''))
    .filter(Boolean);
}

/** The property chain that ends at the end of `before` (`crewBag.items` gives both names). */
export function pathEndingAt(before: string): string[] | undefined {
  if (inCommentOrString(before)) return undefined;
  const m = PATH_AT_END.exec(before);
  return m ? pathOf(m[1]) : undefined;
}

/** The call whose argument list the cursor is in: its callee's path and the argument's index. */
export function callAt(before: string): { path: string[]; active: number } | undefined {
  let depth = 0;
  let active = 0;
  for (let i = before.length - 1; i >= 0; i--) {
    const c = before[i];
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '[' || c === '{') {
      if (depth === 0) return undefined;
      depth--;
    } else if (c === '(') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const path = pathEndingAt(before.slice(0, i).trimEnd());
      return path ? { path, active } : undefined;
    } else if (c === ',' && depth === 0) active++;
  }
  return undefined;
}
