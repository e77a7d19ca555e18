/**
 * The master behind the language server: at most one pool at a time, the master's image
 * (which it serves: the API and its pool in scope, the image's output to the editors), and
 * the events editors subscribe to. Several editors attached over TCP share one master, as
 * several SLIME connections share one Lisp image.
 */
import { EventEmitter } from 'node:events';
import { parseHostPort } from '../../protocol/address';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type {
  ConnectWorkersParams,
  ConnectWorkersResult,
  OutputParams,
  SlurmWorkersRequest,
  WorkersState,
} from '../../protocol/messages/lsp-messages';
import { dialWorker, startMaster } from '../pool/connect';
import type { WorkerPool } from '../pool/pool';
import { ClusterFeed } from '../cluster/cluster-feed';
import { startLocalWorkers } from '../launch/local-workers';
import { startSlurmWorkers } from '../launch/slurm-workers';
import * as api from '../api/api-globals';
import { masterImage, type MasterImage } from '../api/master-image';
import { DebugModeService } from './debug-mode';

export interface LspMasterOptions {
  secret: Buffer;
  /** The secret's file, which Slurm workers read from the shared filesystem. */
  secretFile?: string;
  /** The secret came as a value (CREW_SECRET), which cannot reach a Slurm job. */
  secretInline?: boolean;
  /** Where workers dial in; 127.0.0.1 and any free port unless told otherwise. */
  host?: string;
  port?: number;
  heartbeatTimeoutMs?: number;
  /** Also record each batch of tasks in the audit trail. */
  auditTasks?: boolean;
  /** Another place for audit lines, besides the editors (a file, stderr). */
  auditSink?: (line: string) => void;
}

export interface LspMasterEvents {
  workers: [state: WorkersState];
  output: [output: OutputParams];
  /** A new pool is running (features such as the debugger attach to it here). */
  pool: [pool: WorkerPool];
}

/** Workers-changed events come in bursts (each result batch); editors get at most one per interval. */
const WORKERS_NOTIFY_MS = 100;

/**
 * The master as the language server serves it to every editor attached: its pool, its image
 * and its events. One per `crew lsp` process.
 */
export class LspMaster extends EventEmitter<LspMasterEvents> {
  private current?: WorkerPool;
  private starting?: Promise<WorkerPool>;
  private localCount = 0;
  private notifyTimer?: NodeJS.Timeout;
  /** The master's image: "evaluate on master", notebook cells and a null pool evaluate in it. */
  readonly image: MasterImage = masterImage();
  /** Once-a-second aggregates of the pool of the moment, for editors that watch the cluster. */
  readonly cluster = new ClusterFeed(() => this.pool);
  /** Whether workers suspend at errors for the editors that debug, and what they hear of it. */
  readonly debugMode = new DebugModeService();

  constructor(readonly options: LspMasterOptions) {
    super();
    this.on('pool', (pool) => this.debugMode.follow(pool));
    // What the image prints goes to the editors, never to stdout, which may carry LSP.
    this.image.serve({
      names: api,
      pool: () => this.pool,
      output: (stream, text) => this.emit('output', { worker: 'master', stream, text }),
    });
  }

  /** The live pool, if any. */
  get pool(): WorkerPool | undefined {
    return this.current && !this.current.closed ? this.current : undefined;
  }

  state(): WorkersState {
    const pool = this.pool;
    const listen = pool?.listenAddress;
    return {
      started: !!pool,
      listen: listen ? `${listen.host}:${listen.port}` : undefined,
      workers: pool ? pool.workers : [],
    };
  }

  /** Starts the pool if needed, then adds local and listening workers. Failures are listed, not thrown. */
  async connect(params: ConnectWorkersParams): Promise<ConnectWorkersResult> {
    const local = params.local ?? 0;
    const addresses = params.addresses ?? [];
    const pool = await this.ensurePool();
    const errors: string[] = [];
    const jobs: Promise<void>[] = addresses.map((a) => {
      const { host, port } = parseHostPort(a);
      return dialWorker(pool, `${host.includes(':') ? `[${host}]` : host}:${port}`, this.options.secret, {
        heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
      }).catch((err: Error) => {
        errors.push(err.message);
      });
    });
    if (local > 0) {
      const first = this.localCount + 1;
      this.localCount += local;
      jobs.push(
        startLocalWorkers(pool, local, this.options.secret, {
          first,
          output: (name, stream, text) => this.emit('output', { worker: name, stream, text }),
        }).catch((err: Error) => void errors.push(err.message)),
      );
    }
    if (params.slurm)
      jobs.push(this.submitSlurm(pool, params.slurm).catch((err: Error) => void errors.push(err.message)));
    await Promise.all(jobs);
    this.notifyWorkers();
    return { ...this.state(), errors };
  }

  /** Submits Slurm workers that dial this pool; what Slurm says goes to the editors as the master's output. */
  private async submitSlurm(pool: WorkerPool, req: SlurmWorkersRequest): Promise<void> {
    const listen = pool.listenAddress;
    if (!listen) throw crewError(ErrorCodes.BadArgument, 'Slurm workers need a master that listens');
    const job = await startSlurmWorkers(
      pool,
      {
        ...req,
        onNotice: (text) => this.emit('output', { worker: 'master', stream: 'stderr', text: `crew: ${text}\n` }),
      },
      {
        listenHost: listen.host,
        port: listen.port,
        member: listen.member,
        secretFile: this.options.secretFile,
        secretGivenInline: !!this.options.secretInline,
      },
    );
    pool.slurmJob ??= job;
  }

  private ensurePool(): Promise<WorkerPool> {
    if (this.pool) return Promise.resolve(this.pool);
    this.starting ??= startMaster({
      local: 0,
      secret: this.options.secret,
      host: this.options.host,
      port: this.options.port,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
      audit: { to: (line) => this.audit(line), tasks: this.options.auditTasks },
      onOutput: (worker, stream, text) => this.emit('output', { worker, stream, text }),
    })
      .then((pool) => {
        this.current = pool;
        this.localCount = 0;
        pool.on('workers-changed', () => this.scheduleWorkers());
        this.emit('pool', pool);
        return pool;
      })
      .finally(() => {
        this.starting = undefined;
      });
    return this.starting;
  }

  /** Closes the pool; evaluation falls back to the master. */
  async disconnect(reason = 'disconnected from the editor'): Promise<WorkersState> {
    const pool = this.current;
    this.current = undefined;
    await pool?.close(reason);
    this.notifyWorkers();
    return this.state();
  }

  /** Work was handed to workers: editors learn which are busy (the pool only says when they finish). */
  workersTouched(): void {
    this.scheduleWorkers();
  }

  /** Interrupts one worker, or every busy one. */
  interrupt(worker?: string): string[] {
    const pool = this.pool;
    if (!pool) {
      if (worker) throw crewError(ErrorCodes.UnknownWorker, `there is no worker ${worker}: no pool is running`);
      return [];
    }
    return pool.interrupt(worker);
  }

  private audit(line: string): void {
    this.options.auditSink?.(line);
    this.emit('output', { worker: 'master', stream: 'audit', text: line });
  }

  private scheduleWorkers(): void {
    this.notifyTimer ??= setTimeout(() => this.notifyWorkers(), WORKERS_NOTIFY_MS);
  }

  private notifyWorkers(): void {
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    this.emit('workers', this.state());
  }

  async close(): Promise<void> {
    await this.disconnect('the master is shutting down');
    this.cluster.dispose();
    this.debugMode.dispose();
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
  }
}
