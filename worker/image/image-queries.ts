/**
 * Every question about an image, answered where the image lives (a worker's eval thread, or
 * the master's own process): names and values by introspect.ts, and the inspector's held
 * values by one {@link InspectTable} per image.
 */
import vm from 'node:vm';
import { CrewError, ErrorCodes } from '../../protocol/errors';
import type { ImageQuery, ImageReply } from '../../protocol/messages/image-messages';
import { InspectTable } from './inspect-table';
import { introspect } from './introspect';
import { Tracer, type TraceReport } from './tracer';

const tables = new WeakMap<vm.Context, InspectTable>();
const tracers = new WeakMap<vm.Context, Tracer>();

/**
 * Answers `query` about the image of `context`, which lives in the thread `thread`. Calls of
 * traced functions go to `report`; an image without one (the master's) traces nothing.
 */
export function answerQuery(context: vm.Context, thread: number, query: ImageQuery, report?: TraceReport): ImageReply {
  switch (query.op) {
    case 'trace':
    case 'untrace': {
      if (!report) throw new CrewError(ErrorCodes.BadArgument, 'functions are traced on the workers');
      let tracer = tracers.get(context);
      if (!tracer) tracers.set(context, (tracer = new Tracer(context, report)));
      if (query.op === 'trace') return { traced: tracer.trace(query.path) };
      tracer.untrace(query.path);
      return {};
    }
    case 'inspect':
      return { node: tableOf(context, thread).open(query.expression) };
    case 'inspectChild':
      return { node: heldIn(context, thread, query).openChild(query.handle, query.index) };
    case 'inspectPage':
      return { page: heldIn(context, thread, query).page(query.handle, query.offset, query.count) };
    case 'inspectRelease':
      tables.get(context)?.release(query.handles);
      return {};
    default:
      return introspect(context, query);
  }
}

function tableOf(context: vm.Context, thread: number): InspectTable {
  let table = tables.get(context);
  if (!table) tables.set(context, (table = new InspectTable(context, thread)));
  return table;
}

/** The table of a held value, unless the thread that held it has been replaced since. */
function heldIn(context: vm.Context, thread: number, q: { handle: number; thread: number }): InspectTable {
  if (q.thread !== thread)
    throw new CrewError(
      ErrorCodes.InspectGone,
      `value #${q.handle} is gone: the worker's eval thread restarted since it was opened (it was interrupted ` +
        `or crashed), and only its setup forms were replayed; inspect it again`,
    );
  return tableOf(context, thread);
}
