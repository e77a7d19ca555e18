/**
 * The `crew/inspect...` requests: values held on a worker (or in the master's image) for the
 * editor's inspector. Each editor's handles are remembered with the worker process that holds
 * them, so that a value is never read from another process that took the worker's name, and
 * so that they are let go when the editor goes.
 */
import { ResponseError, type Connection } from 'vscode-languageserver';
import { crewError, ErrorCodes, type ErrorCode } from '../../protocol/errors';
import type { ImageQuery, ImageReply } from '../../protocol/messages/image-messages';
import {
  INSPECT_PAGE_MAX,
  InspectChildOpen,
  InspectOpen,
  InspectPageRead,
  InspectRelease,
  type InspectHeld,
  type InspectNode,
  type InspectPage,
} from '../../protocol/messages/lsp-inspect-messages';
import { LspErrorCodes, type CrewErrorData } from '../../protocol/messages/lsp-messages';
import { answerQuery } from '../../worker/image/image-queries';
import type { WorkerLink } from '../pool/worker-link';
import { ImageAsker } from './image-asker';
import type { LspMaster } from './lsp-master';

/** The worker waits up to 2 s for its eval thread; the master a little longer. */
const INSPECT_WAIT_MS = 2500;
/** The master's image lives in this thread. */
const MASTER_THREAD = 0;

type Answer = <T>(run: () => Promise<T> | T) => Promise<T>;

/** The worker process a handle belongs to. */
function processOf(link: WorkerLink): string {
  return `${link.info.host}/${link.info.pid}`;
}

export function serveInspect(connection: Connection, master: LspMaster, answer: Answer): { dispose(): void } {
  const asker = new ImageAsker();
  /** Handles this editor opened, by worker, with the process that holds them. */
  const opened = new Map<string, { process: string; handles: Set<number> }>();

  const linkOf = (worker: string): WorkerLink => {
    const pool = master.pool;
    const link = pool?.link(worker);
    if (!pool || !link || link.state === 'closed')
      throw crewError(ErrorCodes.UnknownWorker, `there is no worker ${worker}${pool ? '' : ': no pool is running'}`);
    return link;
  };

  const ask = async (worker: string, query: ImageQuery): Promise<ImageReply> => {
    if (worker === 'master') {
      try {
        return answerQuery(master.image.context, MASTER_THREAD, query);
      } catch (err) {
        throw failure((err as { code?: ErrorCode }).code ?? ErrorCodes.Remote, `master: ${(err as Error).message}`);
      }
    }
    const link = linkOf(worker);
    const r = await asker.askWorker(master.pool!, link, query, INSPECT_WAIT_MS);
    if (r.reply) return r.reply;
    const why = r.missing?.why;
    if (why === 'busy')
      throw failure(ErrorCodes.WorkerRunning, `${worker} is running a task; expand it again when it is idle`);
    if (why === 'slow') throw failure(ErrorCodes.Timeout, `${worker} did not answer within ${INSPECT_WAIT_MS} ms`);
    throw failure((r.code as ErrorCode) ?? ErrorCodes.Remote, `${worker}: ${r.missing?.message ?? 'no answer'}`);
  };

  const remember = (worker: string, node: InspectNode): InspectNode => {
    const process = worker === 'master' ? 'master' : processOf(linkOf(worker));
    let mine = opened.get(worker);
    if (!mine || mine.process !== process) opened.set(worker, (mine = { process, handles: new Set() }));
    mine.handles.add(node.handle);
    return node;
  };

  /** A handle is read only from the process that holds it. */
  const checkHeld = (p: InspectHeld): void => {
    const mine = opened.get(p.worker);
    const now = p.worker === 'master' ? 'master' : processOf(linkOf(p.worker));
    if (mine && mine.process !== now)
      throw failure(
        ErrorCodes.InspectGone,
        `value #${p.handle} is gone: ${p.worker} is a new worker process since it was opened; inspect it again`,
      );
  };

  connection.onRequest(InspectOpen.type, (p) =>
    answer(async () => {
      const worker = checkWorker(InspectOpen.method, p?.worker);
      if (typeof p.expression !== 'string' || p.expression.trim() === '')
        throw bad(InspectOpen.method, 'expression must be a non-empty string');
      const r = await ask(worker, { op: 'inspect', expression: p.expression });
      return remember(worker, r.node!);
    }),
  );
  connection.onRequest(InspectChildOpen.type, (p) =>
    answer(async () => {
      const held = checkHandle(InspectChildOpen.method, p);
      const index = checkInt(InspectChildOpen.method, 'index', p.index, 0);
      checkHeld(held);
      const r = await ask(held.worker, { op: 'inspectChild', handle: held.handle, thread: held.thread, index });
      return remember(held.worker, r.node!);
    }),
  );
  connection.onRequest(InspectPageRead.type, (p) =>
    answer(async (): Promise<InspectPage> => {
      const held = checkHandle(InspectPageRead.method, p);
      const offset = checkInt(InspectPageRead.method, 'offset', p.offset, 0);
      const count = checkInt(InspectPageRead.method, 'count', p.count, 1);
      if (count > INSPECT_PAGE_MAX) throw bad(InspectPageRead.method, `count must be at most ${INSPECT_PAGE_MAX}`);
      checkHeld(held);
      const r = await ask(held.worker, { op: 'inspectPage', handle: held.handle, thread: held.thread, offset, count });
      return r.page!;
    }),
  );
  connection.onRequest(InspectRelease.type, (p) =>
    answer(async () => {
      const worker = checkWorker(InspectRelease.method, p?.worker);
      if (!Array.isArray(p.handles) || !p.handles.every((h) => Number.isInteger(h)))
        throw bad(InspectRelease.method, 'handles must be an array of whole numbers');
      const mine = opened.get(worker);
      const handles = p.handles.filter((h) => mine?.handles.delete(h));
      if (handles.length > 0) await ask(worker, { op: 'inspectRelease', handles }).catch(() => undefined);
      return { released: handles.length };
    }),
  );

  return {
    dispose() {
      // The editor is gone: what it held goes too, on the processes that still hold it.
      for (const [worker, { process, handles }] of opened) {
        const link = worker === 'master' ? undefined : master.pool?.link(worker);
        const query: ImageQuery = { op: 'inspectRelease', handles: [...handles] };
        if (worker === 'master') answerQuery(master.image.context, MASTER_THREAD, query);
        else if (link && processOf(link) === process) link.transport.send({ t: 'imageAsk', reqId: 0, query });
      }
      opened.clear();
      asker.dispose();
    },
  };
}

function failure(code: ErrorCode, message: string): ResponseError<CrewErrorData> {
  return new ResponseError(LspErrorCodes.CrewFailure, message, { code });
}

function bad(method: string, message: string): ResponseError<CrewErrorData> {
  return new ResponseError(LspErrorCodes.InvalidParams, `${method}: ${message}`, { code: ErrorCodes.BadArgument });
}

function checkWorker(method: string, worker: unknown): string {
  if (typeof worker !== 'string' || worker === '') throw bad(method, 'worker must be a worker id or "master"');
  return worker;
}

function checkInt(method: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw bad(method, `${name} must be a whole number of at least ${min}`);
  return v;
}

function checkHandle(method: string, p: Partial<InspectHeld> | null): InspectHeld {
  const worker = checkWorker(method, p?.worker);
  const handle = checkInt(method, 'handle', p?.handle, 1);
  const thread = checkInt(method, 'thread', p?.thread, 0);
  return { worker, handle, thread };
}
