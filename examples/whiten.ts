// dist-emacs's example: `whiten` turns a string into a 32-hex-digit digest. It is defined on
// three workers, then each worker whitens a different string, and the results are printed
// in the order they arrive. With --sign every request is signed, and the local workers
// refuse code that is not.
//
//   crew run examples/whiten.ts --local 3 --sign
import { evalFormAllWorkers, evalOn, form, inCompletionOrder, type WorkerPool } from 'crew';

declare function whiten(text: string): string;

export default async function main(pool: WorkerPool): Promise<void> {
  // Defined on every worker, and replayed on any worker that joins later.
  await evalFormAllWorkers(
    pool,
    `
    function whiten(text) {
      const { createHash } = require('node:crypto');
      // Rounds in proportion to the length, so longer strings take longer.
      let digest = text;
      for (let i = 0; i < 1000 * text.length; i++) digest = createHash('md5').update(digest).digest('hex');
      return digest;
    }
  `,
  );
  const strings = ['Rings of Saturn', 'hello', 'x'];
  const calls = pool.workers.slice(0, strings.length).map((w, i) =>
    evalOn(
      pool,
      w.id,
      form((s: string) => whiten(s), strings[i]),
    ).then((digest) => ({ worker: w.id, text: strings[i], digest })),
  );
  for await (const [, r] of inCompletionOrder(calls))
    console.log(`${r.worker}: whiten(${JSON.stringify(r.text)}) = ${String(r.digest)}`);
}
