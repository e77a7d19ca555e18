/**
 * The trace dialog's requests: a function traced by one editor is wrapped on every worker of
 * the pool, and on each worker that joins later once its setup forms have run (it is ready
 * then); the calls the workers report go to that editor. When the editor goes, its functions
 * are untraced.
 */
import { ResponseError, type Connection } from 'vscode-languageserver';
import { ErrorCodes } from '../../protocol/errors';
import type { ImageQuery, ImageToMaster } from '../../protocol/messages/image-messages';
import { LspErrorCodes, type CrewErrorData } from '../../protocol/messages/lsp-messages';
import {
  TraceCalls,
  TraceFunction,
  UntraceFunction,
  type TraceFunctionParams,
  type TraceFunctionResult,
} from '../../protocol/messages/lsp-trace-messages';
import type { WorkerPool } from '../pool/pool';
import type { WorkerLink } from '../pool/worker-link';
import { ImageAsker } from './image-asker';
import type { LspMaster } from './lsp-master';

/** The worker waits up to 2 s for its eval thread; the master a little longer. */
const TRACE_WAIT_MS = 2500;
const NAME = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

type Answer = <T>(run: () => Promise<T> | T) => Promise<T>;
type Notify = (send: () => Promise<void>) => void;

export function serveTrace(
  connection: Connection,
  master: LspMaster,
  answer: Answer,
  notify: Notify,
): { dispose(): void } {
  const asker = new ImageAsker();
  /** The names this editor traces. */
  const traced = new Set<string>();
  /** Which of them each worker connection has been asked to wrap. */
  const applied = new WeakMap<WorkerLink, Set<string>>();
  let pool: WorkerPool | undefined;

  const onImage = (link: WorkerLink, m: ImageToMaster) => {
    if (m.t !== 'imageTraced') return;
    const calls = m.calls.filter((c) => traced.has(c.name)).map((c) => ({ ...c, worker: link.id }));
    if (calls.length === 0 && m.dropped === 0) return;
    const dropped = m.dropped > 0 ? [{ worker: link.id, count: m.dropped }] : [];
    notify(() => connection.sendNotification(TraceCalls.type, { calls, dropped }));
  };

  /** Follows the pool of the moment, and wraps what this editor traces on workers that became ready. */
  const follow = () => {
    const now = master.pool;
    if (now !== pool) {
      pool?.off('image', onImage);
      pool = now;
      pool?.on('image', onImage);
    }
    if (!pool || traced.size === 0) return;
    for (const link of pool.readyLinks())
      for (const name of traced) if (!applied.get(link)?.has(name)) void wrapOn(link, name);
  };

  const ask = (link: WorkerLink, query: ImageQuery) => asker.askWorker(pool!, link, query, TRACE_WAIT_MS);

  const wrapOn = async (link: WorkerLink, name: string) => {
    let names = applied.get(link);
    if (!names) applied.set(link, (names = new Set()));
    names.add(name);
    return { link, reply: await ask(link, { op: 'trace', path: name.split('.') }) };
  };

  const trace = async (p: TraceFunctionParams): Promise<TraceFunctionResult> => {
    const name = checkName(TraceFunction.method, p);
    traced.add(name);
    follow();
    const result: TraceFunctionResult = { traced: [], queued: [], failed: [] };
    if (!pool) return result;
    const answers = await Promise.all([...pool.readyLinks()].map((link) => wrapOn(link, name)));
    for (const { link, reply: r } of answers) {
      if (r.reply?.queued) result.queued.push(link.id);
      else if (r.reply) result.traced.push(link.id);
      else result.failed.push({ worker: link.id, message: r.missing?.message ?? `${link.id} did not answer` });
    }
    return result;
  };

  const untrace = async (name: string): Promise<{ untraced: string[] }> => {
    traced.delete(name);
    if (!pool) return { untraced: [] };
    const links = [...pool.links.values()].filter((l) => applied.get(l)?.delete(name));
    const answers = await Promise.all(links.map((l) => ask(l, { op: 'untrace', path: name.split('.') })));
    return { untraced: links.filter((_, i) => answers[i].reply).map((l) => l.id) };
  };

  connection.onRequest(TraceFunction.type, (p) => answer(() => trace(p)));
  connection.onRequest(UntraceFunction.type, (p) => answer(() => untrace(checkName(UntraceFunction.method, p))));
  master.on('workers', follow);
  return {
    dispose() {
      master.off('workers', follow);
      for (const name of [...traced]) void untrace(name);
      pool?.off('image', onImage);
      asker.dispose();
    },
  };
}

function checkName(method: string, p: TraceFunctionParams | null): string {
  const name = typeof p?.name === 'string' ? p.name.trim() : undefined;
  if (!name || !NAME.test(name))
    throw new ResponseError<CrewErrorData>(
      LspErrorCodes.InvalidParams,
      `${method}: name must be a function's name or a path to it, such as crewF or lib.area`,
      { code: ErrorCodes.BadArgument },
    );
  return name;
}
