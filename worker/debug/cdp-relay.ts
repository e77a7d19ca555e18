/**
 * Relays raw CDP between the master and the eval thread's inspector, one inspector session
 * per relay session. Only the eval thread is exposed: pausing the worker's main thread would
 * stop its heartbeats.
 */
import { Session } from 'node:inspector';
import type { CdpToMaster } from '../../protocol/messages/cdp-messages';
import { inspectedThreadId, type InspectedWorkerInfo } from './inspected-thread';

export class CdpRelay {
  private readonly sessions = new Map<number, { session: Session; workerSession?: string; queue: string[] }>();

  constructor(
    private readonly threadId: () => number,
    private readonly send: (m: CdpToMaster) => void,
  ) {}

  open(sid: number): void {
    const session = new Session();
    session.connect();
    const entry: { session: Session; workerSession?: string; queue: string[] } = { session, queue: [] };
    this.sessions.set(sid, entry);
    session.on('NodeWorker.attachedToWorker', ({ params }) => {
      const p = params as unknown as { sessionId: string; workerInfo: InspectedWorkerInfo };
      if (inspectedThreadId(p.workerInfo) !== this.threadId() || entry.workerSession) return;
      entry.workerSession = p.sessionId;
      for (const m of entry.queue.splice(0)) this.forward(entry, m);
    });
    session.on('NodeWorker.detachedFromWorker', ({ params }) => {
      if ((params as unknown as { sessionId: string }).sessionId === entry.workerSession)
        this.close(sid, 'the eval thread went away');
    });
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
      const p = params as unknown as { sessionId: string; message: string };
      if (p.sessionId === entry.workerSession) this.send({ t: 'cdpMessage', sid, message: p.message });
    });
    session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  message(sid: number, message: string): void {
    const entry = this.sessions.get(sid);
    if (!entry) return this.send({ t: 'cdpClose', sid, reason: 'no such relay session' });
    if (entry.workerSession) this.forward(entry, message);
    else entry.queue.push(message);
  }

  close(sid: number, reason?: string): void {
    const entry = this.sessions.get(sid);
    if (!entry) return;
    this.sessions.delete(sid);
    entry.session.disconnect();
    if (reason) this.send({ t: 'cdpClose', sid, reason });
  }

  closeAll(reason: string): void {
    for (const sid of [...this.sessions.keys()]) this.close(sid, reason);
  }

  private forward(entry: { session: Session; workerSession?: string }, message: string): void {
    entry.session.post('NodeWorker.sendMessageToWorker', { sessionId: entry.workerSession!, message });
  }
}
