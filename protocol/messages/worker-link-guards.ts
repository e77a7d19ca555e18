/**
 * One table for every message on the master <-> worker link: who sends it and the fields it
 * must have. The guards for both directions are derived from it, and a link runs its
 * direction's guard on each decoded frame, so handlers can trust the fields they read and a
 * refused frame's error names the tag or the field that is wrong.
 */
import { agentOp, agentSpawnSpec } from './agent-messages';
import {
  anyObject,
  anyOf,
  arrayOf,
  bool,
  bytes,
  checkFields,
  intFrom,
  num,
  oneOf,
  optional,
  shape,
  str,
  variant,
  withPaths,
  type Check,
  type Direction,
  type Fields,
} from './field-checks';
import type { LinkMessage, MasterToWorker, WorkerToMaster } from './worker-link-messages';

type Sender = 'master' | 'worker';

interface Row {
  /** Who may send it: `both` for messages that go either way. */
  from: Sender | 'both';
  /** Its fields, or one check over the whole message for tagged unions such as agent ops. */
  fields: Fields | Check;
}

const formDef = shape({
  id: num,
  mode: oneOf('value', 'call'),
  code: str,
  filename: str,
  line: num,
  column: num,
  sourceMap: optional(str),
  cache: bool,
  initArgs: optional(bytes),
});
const taskMsg = shape({
  id: num,
  form: num,
  args: optional(bytes),
  timeoutMs: optional(num),
  setup: optional(bool),
  agent: optional(agentSpawnSpec),
});
const remoteError = shape({
  name: str,
  message: str,
  frames: arrayOf(anyObject),
  code: optional(str),
  thrown: optional(str),
});
const resultMsg = anyOf(
  shape({ id: num, ok: oneOf(true), value: bytes, ms: num }),
  shape({ id: num, ok: oneOf(false), error: remoteError, ms: num }),
);
const debugFrame = shape({
  index: num,
  functionName: str,
  file: str,
  line: num,
  column: num,
  internal: bool,
  scopes: arrayOf(shape({ type: str, name: optional(str), objectId: str })),
});
const debugRestart = variant('kind', {
  abort: {},
  retry: {},
  retryElsewhere: {},
  return: { expression: str },
  continue: {},
});
const debugOp = variant('op', {
  properties: { objectId: str },
  evaluate: { frame: num, expression: str },
  restart: { restart: debugRestart, frame: optional(num) },
});

/** Every message type, keyed by its tag `t`; the compiler insists on a row for each. */
const rows: Record<LinkMessage['t'], Row> = {
  tasks: {
    from: 'master',
    fields: {
      forms: arrayOf(formDef),
      tasks: arrayOf(taskMsg),
      resultGroup: optional(intFrom(1)),
      sig: optional(shape({ seq: num, mac: str })),
    },
  },
  interrupt: { from: 'master', fields: { taskId: optional(num) } },
  shutdown: { from: 'master', fields: { reason: str } },
  ready: {
    from: 'worker',
    // The signing offer's format is the pool's to judge: a bad one means "no signing".
    fields: {
      info: shape({
        name: str,
        host: str,
        pid: num,
        node: str,
        slurm: optional(shape({ job: str, node: str })),
        signing: optional(anyObject),
      }),
    },
  },
  leaving: { from: 'worker', fields: { reason: str, handBack: arrayOf(num) } },
  results: { from: 'worker', fields: { results: arrayOf(resultMsg) } },
  output: { from: 'worker', fields: { stream: oneOf('stdout', 'stderr'), text: str } },
  evalThreadRestarted: { from: 'worker', fields: { reason: str } },
  load: { from: 'worker', fields: { cpu: num, rssBytes: num, heapUsedBytes: num } },
  protocolError: { from: 'both', fields: { code: str, message: str } },
  agent: { from: 'both', fields: agentOp },
  debugMode: { from: 'master', fields: { on: bool } },
  debugRequest: { from: 'master', fields: { reqId: num, pauseId: num, req: debugOp } },
  debugSuspend: { from: 'master', fields: {} },
  debugPaused: {
    from: 'worker',
    fields: {
      pauseId: num,
      taskId: optional(num),
      condition: shape({ reason: oneOf('exception', 'interrupt'), name: str, message: str, form: optional(str) }),
      frames: arrayOf(debugFrame),
    },
  },
  debugResumed: { from: 'worker', fields: { pauseId: num, how: str } },
  debugResponse: {
    from: 'worker',
    fields: anyOf(
      shape({ reqId: num, ok: oneOf(true), answer: anyObject }),
      shape({ reqId: num, ok: oneOf(false), code: str, message: str }),
    ),
  },
  cdpOpen: { from: 'master', fields: { sid: num } },
  cdpMessage: { from: 'both', fields: { sid: num, message: str } },
  cdpClose: { from: 'both', fields: { sid: num, reason: optional(str) } },
};

/** What is wrong with `m` as a message that `sender` sends, or undefined when nothing is. */
function problemFrom(sender: Sender, m: unknown): string | undefined {
  return withPaths(() => problemOf(sender, m));
}

function problemOf(sender: Sender, m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return `the frame holds ${m === null ? 'null' : typeof m}, not a message`;
  const t = (m as { t?: unknown }).t;
  if (typeof t !== 'string') return 'the message has no string tag t';
  if (!Object.hasOwn(rows, t)) return `unknown message tag ${JSON.stringify(t.slice(0, 40))}`;
  const row = rows[t as LinkMessage['t']];
  if (row.from !== 'both' && row.from !== sender) return `${t} is sent by a ${row.from}, not by a ${sender}`;
  return typeof row.fields === 'function' ? row.fields(m, t) : checkFields(m, row.fields, t);
}

/** Checks the shape of a decoded frame well enough that handlers can trust its fields. */
export function isMasterToWorker(m: unknown): m is MasterToWorker {
  return problemFrom('master', m) === undefined;
}

export function isWorkerToMaster(m: unknown): m is WorkerToMaster {
  return problemFrom('worker', m) === undefined;
}

/** What a worker's end accepts: messages a master sends. */
export const fromMaster: Direction<MasterToWorker> = {
  sender: 'master',
  problem: (m) => problemFrom('master', m),
  is: isMasterToWorker,
};

/** What a master's end accepts: messages a worker sends. */
export const fromWorker: Direction<WorkerToMaster> = {
  sender: 'worker',
  problem: (m) => problemFrom('worker', m),
  is: isWorkerToMaster,
};

/** Every tag the table knows, with who sends it. */
export const linkMessageSenders: ReadonlyMap<string, Sender | 'both'> = new Map(
  Object.entries(rows).map(([t, row]) => [t, row.from]),
);
