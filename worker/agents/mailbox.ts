/**
 * An agent's mailbox: a bounded queue of messages and an unbounded one of notices, as in
 * Erlangen. Notices (exit notices, the reason an agent was ended) are taken first and are
 * never dropped; a message that finds the queue full is dropped and counted.
 */
import { crewError, ErrorCodes, type CrewError } from '../../protocol/errors';
import { Queue } from '../../protocol/queue';

interface Waiter {
  resolve(message: unknown): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

export class Mailbox {
  private readonly messages = new Queue<unknown>();
  private readonly notices = new Queue<unknown>();
  private readonly waiters: Waiter[] = [];
  private closed?: CrewError;
  private received = 0;
  private dropped = 0;

  constructor(readonly size: number) {}

  get queued(): number {
    return this.messages.length + this.notices.length;
  }

  /** Adds a message, or a notice when `priority`; false if it was dropped. */
  put(message: unknown, priority: boolean): boolean {
    if (this.closed || (!priority && this.messages.length >= this.size)) {
      this.dropped++;
      return false;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      if (waiter.timer) clearTimeout(waiter.timer);
      this.received++;
      waiter.resolve(message);
      return true;
    }
    if (priority) this.notices.push(message);
    else this.messages.push(message);
    return true;
  }

  /** The next message; rejects with `CREW_TIMEOUT` when none comes within `timeoutMs`. */
  take(timeoutMs?: number): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    if (this.notices.length > 0) {
      this.received++;
      return Promise.resolve(this.notices.shift());
    }
    if (this.messages.length > 0) {
      this.received++;
      return Promise.resolve(this.messages.shift());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (timeoutMs !== undefined) {
        const fail = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(crewError(ErrorCodes.Timeout, `receive() got no message within ${timeoutMs} ms`));
        };
        if (timeoutMs === 0) return fail();
        waiter.timer = setTimeout(fail, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  /** No more messages: waiting and later `take`s reject with `why`. */
  close(why: CrewError): void {
    this.closed = why;
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(why);
    }
  }

  stats(): { received: number; dropped: number; queued: number; mailboxSize: number } {
    return { received: this.received, dropped: this.dropped, queued: this.queued, mailboxSize: this.size };
  }
}
