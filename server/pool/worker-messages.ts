/**
 * What a pool does with the connection of a worker that has joined: results go to the
 * scheduler, output and CDP to the pool's listeners, debugger and agent frames to their
 * brokers; when the connection ends the worker leaves and its tasks move.
 */
import type { Audit } from '../../protocol/audit';
import { ErrorCodes } from '../../protocol/errors';
import type { CdpToMaster } from '../../protocol/messages/cdp-messages';
import type { ImageToMaster } from '../../protocol/messages/image-messages';
import type { WorkerToMaster } from '../../protocol/messages/worker-link-messages';
import type { AgentRouter } from '../agents/agent-router';
import type { ModuleCodes } from '../modules/module-code';
import type { DebugBroker } from '../debug/debug-broker';
import { onProfileAnswer, onProfiledLinkClosed } from '../api/profile-requests';
import type { Scheduler } from './scheduler';
import type { WorkerLink } from './worker-link';

/** Where what workers send goes: the pool's parts, and its bookkeeping of members. */
export interface WorkerMessageTargets {
  readonly audit: Pick<Audit, 'log'>;
  readonly scheduler: Pick<Scheduler, 'onResults' | 'onLinkClosed' | 'onHandBack'>;
  readonly debug: Pick<DebugBroker, 'onPaused' | 'onResumed' | 'onResponse' | 'onLinkClosed'>;
  readonly agents: Pick<AgentRouter, 'handle'>;
  /** A worker's stdout or stderr, for the pool's listeners. */
  output(link: WorkerLink, stream: 'stdout' | 'stderr', text: string): void;
  /** The code of the project's modules, by hash, for workers that ask for it. */
  readonly modules: Pick<ModuleCodes, 'codes'>;
  /** Raw CDP from a worker's eval thread, for the debugger proxy. */
  cdp(link: WorkerLink, message: CdpToMaster): void;
  /** A worker's answer about its image, or calls it traced, for the editor. */
  image(link: WorkerLink, message: ImageToMaster): void;
  /**
   * The link ended: the pool lets it go unless a newer connection of the worker replaced it,
   * and starts the wait after which queued work fails if no worker is left.
   */
  forget(link: WorkerLink): void;
  /** The list of workers, or the state of one, changed. */
  changed(): void;
  /** A worker finished everything it held: only the load shown in the workers' summaries changed. */
  loadChanged(): void;
}

/** Routes frames from the pool's workers, and the end of their links. */
export class WorkerMessages {
  constructor(private readonly pool: WorkerMessageTargets) {}

  /** Listens to a newly adopted link until it ends. */
  listen(link: WorkerLink): void {
    const { transport } = link;
    transport.onMessage((m) => this.onMessage(link, m));
    transport.onBadFrame((err) => {
      this.pool.audit.log('bad-frame', { worker: link.id, error: err.message });
      transport.send({ t: 'protocolError', code: err.code, message: err.message });
    });
    transport.onEnd((reason) => this.drop(link, reason));
  }

  // The link has already checked each frame against the guard table (bad ones go to onBadFrame).
  private onMessage(link: WorkerLink, m: WorkerToMaster): void {
    try {
      this.handle(link, m);
    } catch (err) {
      // A frame of the right type whose fields are wrong must not take the master down.
      this.pool.audit.log('bad-frame', {
        worker: link.id,
        error: `${m.t} frame broke its handler: ${(err as Error).message}`,
      });
      link.transport.send({
        t: 'protocolError',
        code: ErrorCodes.BadFrame,
        message: `malformed ${m.t} message: ${(err as Error).message}`,
      });
    }
  }

  private handle(link: WorkerLink, m: WorkerToMaster): void {
    const { pool } = this;
    switch (m.t) {
      case 'results':
        pool.audit.log('received', { worker: link.id, results: m.results.length });
        pool.scheduler.onResults(link, m.results);
        if (link.inflight.size === 0) pool.loadChanged();
        return;
      case 'leaving':
        // Before anything else, so that the scheduler sends it nothing more.
        if (link.state !== 'closed') link.state = 'leaving';
        pool.audit.log('leaving', { worker: link.id, reason: m.reason, handedBack: m.handBack.length });
        pool.scheduler.onHandBack(link, m.handBack, m.reason);
        pool.changed();
        return;
      case 'output':
        pool.output(link, m.stream, m.text);
        return;
      case 'load':
        // Kept for the cluster view; the Workers view gets it with its next change.
        link.load = { cpu: m.cpu, rssBytes: m.rssBytes, heapUsedBytes: m.heapUsedBytes };
        return;
      case 'evalThreadRestarted':
        pool.audit.log('eval-thread', { worker: link.id, restarted: m.reason });
        return;
      case 'protocolError':
        pool.audit.log('error', { worker: link.id, code: m.code, message: m.message });
        return;
      case 'agent':
        pool.agents.handle(m);
        return;
      case 'debugPaused':
        pool.audit.log('state', {
          worker: link.id,
          debugger: 'suspended',
          error: `${m.condition.name}: ${m.condition.message}`,
        });
        pool.debug.onPaused(link, m);
        return;
      case 'debugResumed':
        pool.debug.onResumed(link, m);
        return;
      case 'debugResponse': {
        // An answer from any worker but the one asked is refused, like a bad frame.
        const refused = pool.debug.onResponse(link, m);
        if (refused) {
          pool.audit.log('bad-frame', { worker: link.id, ...refused.details, error: refused.message });
          link.transport.send({ t: 'protocolError', code: refused.code, message: refused.message });
        }
        return;
      }
      case 'cdpMessage':
      case 'cdpClose':
        pool.cdp(link, m);
        return;
      case 'imageAnswer':
      case 'imageTraced':
        pool.image(link, m);
        return;
      case 'profileAnswer':
        onProfileAnswer(link, m);
        return;
      case 'moduleFetch': {
        const { modules, missing } = pool.modules.codes(m.hashes);
        pool.audit.log('modules', { worker: link.id, sent: modules.length, missing: missing.length || undefined });
        link.transport.send({ t: 'moduleCodes', reqId: m.reqId, modules, missing });
        return;
      }
      case 'ready':
        return;
    }
  }

  private drop(link: WorkerLink, reason: string): void {
    const { pool } = this;
    link.state = 'closed';
    pool.forget(link);
    pool.audit.log('disconnect', { worker: link.id, reason });
    pool.debug.onLinkClosed(link);
    onProfiledLinkClosed(link);
    pool.scheduler.onLinkClosed(link, reason);
    pool.changed();
  }
}
