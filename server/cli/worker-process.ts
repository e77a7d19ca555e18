/**
 * The entry point of a worker process that `startMaster` starts on this machine: the same
 * as `crew worker`, without loading the rest of the command line tool.
 */
// First: the eval thread starts while the rest of this loads.
import './eval-thread-early';
import { reportFatal } from './cli-common';
import { workerCommand } from './worker-command';

workerCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => process.exit(reportFatal(err)),
);
