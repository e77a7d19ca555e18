// dpfw's way of working: expensive one-time set-up kept in one worker's `store`, then
// used by later evaluations sent to that same worker.
//
//   crew run examples/dpfw-store.ts --local 2
import { evalOn, parallel, type WorkerPool } from 'crew';

export default async function main(pool: WorkerPool): Promise<void> {
  const worker = pool.workers[0]?.id ?? 'master';

  // Set-up runs once: a generator saved in this worker's store.
  await evalOn(
    pool,
    worker,
    `
    function* counter() {
      let n = 0;
      for (;;) yield ++n;
    }
    store.set('next', counter());
    'counter ready';
  `,
  );

  // Each call goes to the same worker and advances the same generator.
  for (let i = 0; i < 3; i++) {
    console.log(await evalOn(pool, worker, `store.get('next').next().value`));
  }

  // evalOn(pool, null, ...) goes to whichever worker is free; parallel() runs many at once.
  const pids = await parallel(pool, ['process.pid', 'process.pid']);
  console.log(`parallel ran ${pids.length} forms`);
}
