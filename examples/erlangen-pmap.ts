// Erlangen's parallel-map, built from agents. One agent per chunk is spawned, spread over
// the workers and attached as a monitor. Each agent receives its chunk as a message, maps
// it, and returns the results; its exit notice [ref, 'ok', value] brings them back.
//
//   crew run examples/erlangen-pmap.ts --local 2
import { form, receive, send, spawn, type AgentRef, type ExitNotice, type WorkerPool } from 'crew';

interface Chunk {
  start: number;
  items: unknown[];
}

/** The agent: waits for its chunk, maps it with `fnSource`, and returns where the results go. */
async function mapChunk(fnSource: string): Promise<{ start: number; results: unknown[]; node: string }> {
  // Only code text crosses the wire, so the function travels as source, as form() does.
  const fn = (0, eval)(`(${fnSource})`) as (x: unknown) => unknown;
  const { start, items } = (await receive()) as Chunk;
  return { start, results: items.map(fn), node: self().node };
}
declare function self(): AgentRef;

async function parallelMap(
  pool: WorkerPool,
  fn: (x: never) => unknown,
  vector: unknown[],
  level = 2,
): Promise<unknown[]> {
  const workers = pool.workers.map((w) => w.id);
  const nChunks = Math.min(level, vector.length);
  const chunkSize = Math.floor(vector.length / nChunks);
  const agents: AgentRef[] = [];
  for (let c = 0; c < nChunks; c++) {
    agents.push(
      await spawn(pool, form(mapChunk, fn.toString()), { worker: workers[c % workers.length], attach: 'monitor' }),
    );
  }
  agents.forEach((agent, c) => {
    const start = c * chunkSize;
    const end = c < nChunks - 1 ? start + chunkSize : vector.length;
    send(agent, { start, items: vector.slice(start, end) } satisfies Chunk);
  });
  const results = new Array<unknown>(vector.length);
  for (let i = 0; i < agents.length; i++) {
    const [ref, status, value] = (await receive({ timeout: 60_000 })) as ExitNotice;
    if (status !== 'ok') throw new Error(`agent ${ref.node}#${ref.agent} failed: ${String(value)}`);
    const chunk = value as { start: number; results: unknown[]; node: string };
    results.splice(chunk.start, chunk.results.length, ...chunk.results);
    console.log(`chunk at ${chunk.start}: ${JSON.stringify(chunk.results)} from ${chunk.node}`);
  }
  return results;
}

export default async function main(pool: WorkerPool): Promise<void> {
  // (parallel-map '1+ #(2 4 6 8 10 12 14) :level 3)
  const result = await parallelMap(pool, (x: number) => x + 1, [2, 4, 6, 8, 10, 12, 14], 3);
  console.log(JSON.stringify(result));
}
