/**
 * A worker's masters, one connection at a time: each authenticated link is served until it
 * ends, and a newer master replaces the one before. What the eval thread produces (results,
 * output, debugger stops, agent operations) goes to the master being served.
 */
import type { Audit } from '../../protocol/audit';
import { fitResultsFrame } from '../../protocol/codec/frame-limit';
import { ErrorCodes } from '../../protocol/errors';
import { CloseCodes, type WorkerEnd } from '../../protocol/link/link';
import type { WorkerInfo } from '../../protocol/messages/worker-link-messages';
import { SignatureChecker, signingOffer } from '../../protocol/signing';
import { CdpRelay } from '../debug/cdp-relay';
import type { EvalHost } from './eval-host';
import { startLoadReports } from './load-sample';
import { handleMasterMessage, type WorkerContext } from './master-messages';

export interface MasterSessionOptions {
  audit: Audit;
  info: WorkerInfo;
  heartbeatTimeoutMs: number;
  maxFrameBytes: number;
  /** The key request signatures are checked with. */
  signKey: Buffer;
  requireSigned: boolean;
}

/** How serving one master ended: the link closed, or the master shut the job down. */
export type SessionOutcome = 'closed' | 'shutdown';

export class MasterSessions {
  private session = 0;
  private link?: WorkerEnd;
  private signing?: SignatureChecker;
  private readonly ctx: WorkerContext;
  private readonly relay: CdpRelay;
  /** Why the worker is leaving, once it is. */
  private leavingReason?: string;

  constructor(
    private readonly host: EvalHost,
    private readonly opts: MasterSessionOptions,
  ) {
    const { audit } = opts;
    this.relay = new CdpRelay(
      () => host.threadId,
      (m) => this.link?.send(m),
      () => host.debug.pausedAt,
      () => host.debug.debugging,
    );
    this.ctx = {
      audit,
      host,
      relay: this.relay,
      current: () => this.link,
      signing: () => this.signing,
      leaving: () => this.leavingReason,
    };
    host.on('results', (frame, s) => {
      // A result too large for a frame becomes an error naming its size, not a dropped link.
      const link = this.link;
      if (s === this.session && link?.phase === 'open')
        for (const f of fitResultsFrame(frame, opts.maxFrameBytes)) link.sendFrame(f);
    });
    host.on('output', (stream, text) => {
      if (this.link?.phase === 'open') this.link.send({ t: 'output', stream, text });
      else process.stderr.write(text);
    });
    host.debug.on('paused', (msg) => {
      audit.log('state', {
        debugger: 'suspended',
        pause: msg.pauseId,
        task: msg.taskId,
        error: `${msg.condition.name}: ${msg.condition.message}`,
      });
      this.link?.send(msg);
    });
    host.debug.on('resumed', (msg) => this.link?.send(msg));
    // Agents talk to agents on other nodes through the master.
    host.on('agent', (m) => this.link?.send(m));
    host.on('restarted', (reason) => {
      audit.log('eval-thread', { restarted: reason });
      this.link?.send({ t: 'evalThreadRestarted', reason });
    });
  }

  /** Ends the current master's link, if any. */
  close(reason: string): void {
    // A DevTools session holds the eval thread paused; it must let go before the thread can end.
    this.relay.closeAll(reason);
    this.link?.dispose(CloseCodes.Normal, reason);
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
    const session = this.session;
    const handBack = await this.host.drain(session);
    this.opts.audit.log('leaving', { master: link.peer, reason, handedBack: handBack.length });
    link.send({ t: 'leaving', reason, handBack });
    await this.host.idle(session, deadline);
    this.close(reason);
  }

  /** Serves one authenticated master until the link ends. */
  serve(link: WorkerEnd): Promise<SessionOutcome> {
    const { audit } = this.opts;
    // A dial that completes as the worker leaves: it must not take work.
    if (this.leavingReason !== undefined) link.dispose(CloseCodes.Normal, this.leavingReason);
    this.link?.dispose(CloseCodes.Normal, 'replaced by a newer master session');
    this.link = link;
    const mine = ++this.session;
    if (mine > 1) this.host.newSession();
    audit.log('connect', { master: link.peer, session: mine });
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
      link.onMessage((m) => {
        try {
          handleMasterMessage(this.ctx, m, mine, () => {
            outcome = 'shutdown';
            link.dispose(CloseCodes.Shutdown, 'master shut down');
          });
        } catch (err) {
          // A frame of the right type whose fields are wrong must not take the worker down.
          audit.log('bad-frame', {
            master: link.peer,
            error: `${m.t} frame broke its handler: ${(err as Error).message}`,
          });
          link.send({
            t: 'protocolError',
            code: ErrorCodes.BadFrame,
            message: `malformed ${m.t} message: ${(err as Error).message}`,
          });
        }
      });
      link.onEnd((reason) => {
        stopLoad();
        if (this.link === link) {
          this.link = undefined;
          this.host.debug.abandon();
          this.relay.closeAll('the master went away');
        }
        audit.log('disconnect', { master: link.peer, session: mine, reason });
        resolve(outcome);
      });
    });
  }
}
