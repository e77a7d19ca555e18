/** What `startMaster` can be told, beyond what dialing workers takes. */
import type { TlsListenOptions } from '../../protocol/link/sockets';
import type { SlurmPoolOptions } from '../launch/slurm-workers';
import type { ConnectOptions } from './dial-worker';

export interface MasterOptions extends ConnectOptions {
  /** Port to listen on for workers (0 picks one). */
  port?: number;
  /** Address to listen on; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** Start this many local worker processes that dial in. */
  local?: number;
  /** Write CL-MW's resource file here: where workers should dial. */
  resourceFile?: string;
  /** Also dial these listening workers. */
  workers?: string[];
  /** How long to wait for local workers to be ready (default 30 s). */
  startTimeoutMs?: number;
  /**
   * Listen with this certificate, and take TLS only. Without it the master listens with a
   * certificate of its own, takes TLS from any host and plain TCP from loopback; `tls: 'on'`
   * makes it take TLS only, and `tls: 'off'` plain TCP from anyone (with a warning).
   */
  listenTls?: TlsListenOptions;
  /** Extra `crew worker` options for local workers, e.g. `['--eval-heap-mb', '256']`. */
  localWorkerArgs?: string[];
  /** Submit this many workers as a Slurm job array; they join as Slurm starts them. */
  slurm?: SlurmPoolOptions;
}
