// CL-MW's hello world: the master queues 10 tasks, workers answer "Hello World: Task N".
// The audit trail ([A] lines) goes to stderr; add -v to see each group of tasks and results.
//
//   crew run examples/hello.ts --local 1
//   crew run examples/hello.ts --local 1 --task-group 10 --result-group 10 -v
import { form, inCompletionOrder, runTask, type WorkerPool } from 'crew';

// CL-MW's define-mw-algorithm: a function the workers run. Only its text travels.
const hello = (str: string) => `Hello World: ${str}`;

export default async function main(pool: WorkerPool): Promise<void> {
  const numTasks = 10;
  // Queue up the tasks, each tagged with its number (CL-MW's :tag).
  const tasks = Array.from({ length: numTasks }, (_, x) => runTask(pool, form(hello, `Task ${x}`), { tag: x }));
  let numResults = 0;
  for await (const [, result] of inCompletionOrder(tasks)) {
    numResults++;
    console.log(
      `Got result from ${result.worker} (tag ${String(result.tag)}, ${result.ms.toFixed(3)} ms): ` +
        JSON.stringify(result.value),
    );
  }
  console.log(`${numResults} of ${numTasks} results`);
}
