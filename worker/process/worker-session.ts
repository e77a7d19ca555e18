/**
 * A worker's session for one master, what `--max-sessions` counts and the audit trail calls a
 * session: an eval thread of its own (so its own persistent context, store and agents), its
 * replay state, debugger, CDP relay and signing state. A session outlives a link: the same
 * master redialing after a drop is served by it again, on a link with the next number. What
 * its eval thread produces (results, output, debugger stops, agent operations) goes to the
 * link that serves it now, and to no other master.
 */
import type { Audit } from '../../protocol/audit';
import { fitResultsFrame } from '../../protocol/codec/frame-limit';
import { ErrorCodes } from '../../protocol/errors';
import { CloseCodes, type WorkerEnd } from '../../protocol/link/link';
import type { LinkNumber } from '../../protocol/messages/eval-thread-messages';
import type { MasterToWorker, WorkerInfo } from '../../protocol/messages/worker-link-messages';
import { SignatureChecker, signingOffer } from '../../protocol/signing';
import { CdpRelay } from '../debug/cdp-relay';
import { ModuleFetcher } from '../modules/module-fetch';
import { EvalHost } from './eval-host';
import { InboundQueue } from './inbound-queue';
import { startLoadReports } from './load-sample';
import { handleMasterMessage, type WorkerContext } from './master-messages';

export interface WorkerSessionOptions {
  audit: Audit;
  info: WorkerInfo;
  heartbeatTimeoutMs: number;
  maxFrameBytes: number;
  /** The key request signatures are checked with. */
  signKey: Buffer;
  requireSigned: boolean;
  /** Heap limit of each session's eval thread, in MiB. */
  evalHeapMb?: number;
}

/** How serving one link ended: it closed, or the master shut its job down. */
export type SessionOutcome = 'closed' | 'shutdown';

/** One master's session on this worker; see the file's comment. */
export class WorkerSession {
  readonly host: EvalHost;
  private readonly relay: CdpRelay;
  private readonly ctx: WorkerContext;
  private link?: WorkerEnd;
  private signing?: SignatureChecker;
  /** The number of the link serving the session now, from 1; results of an earlier link's tasks are dropped. */
  private linkNumber: LinkNumber = 0;
  /** Ends a session whose master has not come back in time. */
  expiry?: NodeJS.Timeout;
  /** When the session last lost its link; the oldest detached session gives up its slot first. */
  detachedAt = 0;
  /** Why the worker is leaving, once it is: tasks that still arrive go back to the master. */
  private leavingReason?: string;

  constructor(
    /** The number the audit trail knows this session by. */
    readonly id: number,
    private readonly opts: WorkerSessionOptions,
  ) {
    const { audit } = opts;
    const modules = new ModuleFetcher(() => this.link, audit);
    const host = (this.host = new EvalHost({ maxHeapMb: opts.evalHeapMb, modules }));
    this.relay = new CdpRelay(
      () => host.threadId,
      (m) => this.link?.send(m),
      () => host.debug.pausedAt,
      () => host.debug.debugging,
    );
    this.ctx = {
      audit,
      sessionId: id,
      host,
      relay: this.relay,
      modules,
      current: () => this.link,
      signing: () => this.signing,
      leaving: () => this.leavingReason,
    };
    host.on('results', (frame, linkNumber) => {
      // A result too large for a frame becomes an error naming its size, not a dropped link.
      const link = this.link;
      if (linkNumber === this.linkNumber && link?.phase === 'open')
        for (const f of fitResultsFrame(frame, opts.maxFrameBytes)) link.sendFrame(f);
    });
    host.on('output', (stream, text) => {
      if (this.link?.phase === 'open') this.link.send({ t: 'output', stream, text });
      else process.stderr.write(text);
    });
    host.debug.on('paused', (msg) => {
      audit.log('state', {
        session: id,
        debugger: 'suspended',
        pause: msg.pauseId,
        task: msg.taskId,
        error: `${msg.condition.name}: ${msg.condition.message}`,
      });
      this.link?.send(msg);
      this.relay.suspended();
    });
    host.debug.on('resumed', (msg) => this.link?.send(msg));
    // Agents talk to agents on other nodes through the master.
    host.on('agent', (m) => this.link?.send(m));
    host.on('restarted', (reason) => {
      audit.log('eval-thread', { session: id, restarted: reason });
      this.link?.send({ t: 'evalThreadRestarted', reason });
    });
  }

  /** Whether a link serves the session now. */
  get attached(): boolean {
    return this.link !== undefined;
  }

  /** Serves one authenticated link of this session's master until it ends. */
  serve(link: WorkerEnd): Promise<SessionOutcome> {
    const { audit } = this.opts;
    const resumed = this.linkNumber > 0;
    // The same master on a new connection: the old one is stale, whether or not it has noticed.
    this.link?.dispose(CloseCodes.Normal, "replaced by the same master's new connection");
    this.link = link;
    const linkNumber = ++this.linkNumber;
    // The master replays its own setup forms on every new link; the previous link's must not
    // also be replayed after a later crash of the thread.
    if (resumed) this.host.forgetSetup();
    audit.log('connect', { master: link.peer, session: this.id, resumed: resumed || undefined });
    link.startHeartbeat(this.opts.heartbeatTimeoutMs);
    const stopLoad = startLoadReports((load) => {
      if (link.phase === 'open') link.send({ t: 'load', ...load });
    });
    this.signing = new SignatureChecker(this.opts.signKey, signingOffer(this.opts.requireSigned));
    link.send({ t: 'ready', info: { ...this.opts.info, signing: this.signing.offer } });
    return new Promise((resolve) => {
      let outcome: SessionOutcome = 'closed';
      // Frames that do not decode, or are not a message a master sends (the link's guard).
      link.onBadFrame((err) => {
        audit.log('bad-frame', { master: link.peer, error: err.message });
        link.send({ t: 'protocolError', code: err.code, message: err.message });
      });
      // In order; a huge frame of tasks in slices, with turns for the other sessions between.
      const inbound = new InboundQueue<MasterToWorker>(
        (m) =>
          handleMasterMessage(this.ctx, m, linkNumber, () => {
            outcome = 'shutdown';
            link.dispose(CloseCodes.Shutdown, 'master shut down');
          }),
        (m, err) => {
          // A frame of the right type whose fields are wrong must not take the worker down.
          audit.log('bad-frame', { master: link.peer, error: `${m.t} frame broke its handler: ${err.message}` });
          link.send({
            t: 'protocolError',
            code: ErrorCodes.BadFrame,
            message: `malformed ${m.t} message: ${err.message}`,
          });
        },
      );
      link.onMessage((m) => inbound.push(m));
      link.onEnd((reason) => {
        stopLoad();
        inbound.clear();
        if (this.link === link) {
          this.link = undefined;
          this.detachedAt = performance.now();
          this.host.debug.abandon();
          this.relay.closeAll('the master went away');
          this.ctx.modules.linkEnded();
        }
        audit.log('disconnect', { master: link.peer, session: this.id, reason });
        resolve(outcome);
      });
    });
  }

  /**
   * Leaves on purpose (the batch job ends): the master is told so and sends nothing more; the
   * tasks that have not started go back to it; the one running may finish until `deadline`
   * (ms since the epoch); then the link closes cleanly, so nothing held counts against a task.
   */
  async leave(reason: string, deadline: number): Promise<void> {
    this.leavingReason = reason;
    const link = this.link;
    if (link?.phase !== 'open') return;
    const linkNumber = this.linkNumber;
    const handBack = await this.host.drain(linkNumber);
    this.opts.audit.log('leaving', { master: link.peer, reason, handedBack: handBack.length, session: this.id });
    link.send({ t: 'leaving', reason, handBack });
    await this.host.idle(linkNumber, deadline);
    link.dispose(CloseCodes.Normal, reason);
  }

  /** Ends the session: its link, its DevTools sessions, and its eval thread. */
  async dispose(reason: string): Promise<void> {
    clearTimeout(this.expiry);
    // A DevTools session holds the eval thread paused; it must let go before the thread can end.
    this.relay.closeAll(reason);
    this.link?.dispose(CloseCodes.Normal, reason);
    await this.host.stop();
  }
}
