/**
 * The `crew/image...` requests: names and values from the live images for the editor's
 * completion, hover and argument lists. The master's own image is read here, in process;
 * the workers' through {@link ImageAsker}, which never asks one that runs something.
 */
import { ResponseError, type Connection } from 'vscode-languageserver';
import { ErrorCodes } from '../../protocol/errors';
import { LspErrorCodes, type CrewErrorData } from '../../protocol/messages/lsp-messages';
import type { ImageEntry, ImageReply, PathQuery } from '../../protocol/messages/image-messages';
import {
  IMAGE_ANSWER_MS,
  ImageComplete,
  ImageDescribe,
  type ImageCompleteParams,
  type ImageCompleteResult,
  type ImageCompletion,
  type ImageDescribeParams,
  type ImageDescribeResult,
  type ImageValue,
} from '../../protocol/messages/lsp-image-messages';
import { introspect } from '../../worker/image/introspect';
import { masterAgents } from '../agents/master-agents';
import { ImageAsker, type WorkerReply } from './image-asker';
import type { LspMaster } from './lsp-master';

/** A hover waits longer than completion: nobody is typing. */
const DESCRIBE_WAIT_MS = 1000;
/** Longest path and name the editor may ask about. */
const MAX_PATH = 16;
const MAX_NAME = 256;
/** Most names sent to the editor at once; it asks again as the user types more. */
const MAX_ITEMS = 1000;

type Answer = <T>(run: () => Promise<T> | T) => Promise<T>;

/** Registers the image requests on one editor's connection. */
export function serveImage(connection: Connection, master: LspMaster, answer: Answer): { dispose(): void } {
  const asker = new ImageAsker();
  connection.onRequest(ImageComplete.type, (p) => answer(() => complete(master, asker, completeParams(p))));
  connection.onRequest(ImageDescribe.type, (p) => answer(() => describe(master, asker, describeParams(p))));
  return { dispose: () => asker.dispose() };
}

async function complete(master: LspMaster, asker: ImageAsker, p: ImageCompleteParams): Promise<ImageCompleteResult> {
  const prefix = p.prefix ?? '';
  if (p.context === 'agentName') {
    const items = masterAgents()
      .runtime.names.list()
      .filter(([name]) => name.startsWith(prefix))
      .map(([name]): ImageCompletion => ({ label: name, kind: 'agent name', where: ['master'] }));
    return { items, missing: [] };
  }
  // Asked without the prefix, so that every keystroke is the same question, answered from the
  // cache (and the extension asks it once after each evaluation). An image with more names
  // than one answer holds is asked again by the first letter typed.
  const op = p.context === 'name' ? 'names' : p.context === 'member' ? 'members' : 'storeKeys';
  const query: PathQuery = { op, path: p.path ?? [] };
  const started = Date.now();
  let parts = await asker.ask(master.pool, query, IMAGE_ANSWER_MS);
  if (prefix && parts.some((r) => r.reply?.truncated)) {
    const byLetter: PathQuery = { ...query, prefix: prefix.slice(0, 1).toLowerCase() };
    const wait = Math.max(0, IMAGE_ANSWER_MS - (Date.now() - started));
    const again = await asker.ask(master.pool, byLetter, wait);
    // A worker whose answer by letter did not come in time is named, so that the editor asks again.
    parts = parts.map((r) => {
      if (!r.reply?.truncated) return r;
      const letter = again.find((a) => a.worker === r.worker);
      if (letter?.reply) return letter;
      return { ...r, missing: letter?.missing ?? { worker: r.worker, why: 'slow' as const } };
    });
  }
  parts.push({ worker: 'master', reply: introspect(master.image.context, { ...query, prefix: prefix.slice(0, 1) }) });
  const { items, truncated } = merge(parts, prefix);
  return { items, truncated, missing: parts.flatMap((r) => (r.missing ? [r.missing] : [])) };
}

/** One item per name, saying every image that has it. */
function merge(parts: WorkerReply[], prefix: string): { items: ImageCompletion[]; truncated: boolean } {
  const typed = prefix.toLowerCase();
  const byName = new Map<string, ImageCompletion>();
  for (const { worker, reply } of parts)
    for (const e of entriesOf(reply)) {
      if (!byName.has(e.name) && !fuzzyMatch(e.name.toLowerCase(), typed)) continue;
      const item = byName.get(e.name);
      if (!item) {
        byName.set(e.name, { label: e.name, kind: e.kind, where: [worker], ...(e.params && { params: e.params }) });
        continue;
      }
      item.where.push(worker);
      if (!item.kind.split(' | ').includes(e.kind)) item.kind += ` | ${e.kind}`;
    }
  const items = [...byName.values()];
  if (items.length <= MAX_ITEMS) return { items, truncated: false };
  items.sort((a, b) => (a.label < b.label ? -1 : 1));
  return { items: items.slice(0, MAX_ITEMS), truncated: true };
}

/** As the editor filters: the first letter first, then the others in order, anywhere after it. */
function fuzzyMatch(name: string, typed: string): boolean {
  if (typed === '') return true;
  if (name[0] !== typed[0]) return false;
  let at = 1;
  for (let i = 1; i < typed.length; i++) {
    at = name.indexOf(typed[i], at) + 1;
    if (at === 0) return false;
  }
  return true;
}

function entriesOf(reply: ImageReply | undefined): ImageEntry[] {
  return Array.isArray(reply?.entries) ? reply.entries : [];
}

async function describe(master: LspMaster, asker: ImageAsker, p: ImageDescribeParams): Promise<ImageDescribeResult> {
  const query: PathQuery = { op: 'describe', path: p.path };
  const parts = await asker.ask(master.pool, query, DESCRIBE_WAIT_MS);
  parts.push({ worker: 'master', reply: introspect(master.image.context, query) });
  const values: ImageValue[] = [];
  let signature: ImageDescribeResult['signature'];
  for (const { worker, reply } of parts) {
    const d = reply?.description;
    if (!d?.found) continue;
    const same = values.find((v) => v.printed === d.printed && v.kind === d.kind);
    if (same) same.where.push(worker);
    else values.push({ where: [worker], kind: d.kind, printed: d.printed });
    if (!signature && d.params) signature = { name: d.name ?? p.path.at(-1) ?? '', params: d.params };
  }
  return { values, signature, missing: parts.flatMap((r) => (r.missing ? [r.missing] : [])) };
}

function bad(method: string, message: string): ResponseError<CrewErrorData> {
  return new ResponseError(LspErrorCodes.InvalidParams, `${method}: ${message}`, { code: ErrorCodes.BadArgument });
}

function checkPath(method: string, path: unknown, emptyOk: boolean): string[] {
  if (path === undefined && emptyOk) return [];
  if (
    !Array.isArray(path) ||
    path.length > MAX_PATH ||
    (!emptyOk && path.length === 0) ||
    !path.every((k) => typeof k === 'string' && k.length > 0 && k.length <= MAX_NAME)
  )
    throw bad(method, `path must be an array of 1 to ${MAX_PATH} property names${emptyOk ? ' (or absent)' : ''}`);
  return path as string[];
}

function completeParams(p: unknown): ImageCompleteParams {
  const m = ImageComplete.method;
  const o = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
  const contexts = ['name', 'member', 'storeKey', 'agentName'];
  if (typeof o.context !== 'string' || !contexts.includes(o.context))
    throw bad(m, `context must be one of ${contexts.join(', ')}`);
  if (o.prefix !== undefined && (typeof o.prefix !== 'string' || o.prefix.length > MAX_NAME))
    throw bad(m, `prefix must be a string of at most ${MAX_NAME} characters`);
  const context = o.context as ImageCompleteParams['context'];
  const path = checkPath(m, o.path, context !== 'member');
  return { context, path, prefix: o.prefix as string | undefined };
}

function describeParams(p: unknown): ImageDescribeParams {
  const o = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
  return { path: checkPath(ImageDescribe.method, o.path, false) };
}
