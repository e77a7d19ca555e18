/**
 * Imported first by worker-process.ts, for its side effect: the eval thread starts before
 * the rest of the worker's code loads. With a heap limit or for `--help` the worker starts
 * its thread itself, as usual.
 */
import { startEvalThreadEarly } from '../../worker/eval-thread/eval-thread-start';

if (!process.argv.some((a) => a.startsWith('--eval-heap-mb') || a === '--help' || a === '-h')) startEvalThreadEarly();
