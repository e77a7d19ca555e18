/**
 * The guards of the master <-> worker link, derived from the messages' declarations
 * (`linkMessageTypes` in `worker-link-messages.ts`): who sends each and the check of its
 * fields. A link runs its direction's guard on each decoded frame, so handlers can trust the
 * fields they read and a refused frame's error names the tag or the field that is wrong.
 */
import { withPaths, type Direction } from './field-checks';
import type { MessageType, Sender } from './link-message';
import { linkMessageTypes, type MasterToWorker, type WorkerToMaster } from './worker-link-messages';

/** Every declaration by its tag `t`. */
const byTag = new Map<string, MessageType>();
for (const type of linkMessageTypes) {
  if (byTag.has(type.t)) throw new Error(`two link messages are declared with the tag ${type.t}`);
  byTag.set(type.t, type);
}

/** What is wrong with `m` as a message that `sender` sends, or undefined when nothing is. */
function problemFrom(sender: Sender, m: unknown): string | undefined {
  return withPaths(() => problemOf(sender, m));
}

function problemOf(sender: Sender, m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return `the frame holds ${m === null ? 'null' : typeof m}, not a message`;
  const t = (m as { t?: unknown }).t;
  if (typeof t !== 'string') return 'the message has no string tag t';
  const type = byTag.get(t);
  if (!type) return `unknown message tag ${JSON.stringify(t.slice(0, 40))}`;
  if (type.from !== 'both' && type.from !== sender) return `${t} is sent by a ${type.from}, not by a ${sender}`;
  return type.check(m, t);
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

/** Every tag declared, with who sends it. */
export const linkMessageSenders: ReadonlyMap<string, Sender | 'both'> = new Map(
  linkMessageTypes.map((type) => [type.t, type.from]),
);
