/**
 * Keeps the audit lines that anyone who can reach a port can cause (a refused connection, a
 * peer that is not even HTTP) from growing the trail without bound. Each kind of line gets a
 * few lines a second; past that, its lines are counted instead of written, and one summary
 * says how many when the burst ends, so a flood shows in the trail at a bounded cost.
 */

/** Lines of one kind written per second before a burst starts being counted. */
export const AUDIT_LINES_PER_SECOND = 10;
/** During a burst that does not end, a summary at least this often, so the trail stays current. */
export const AUDIT_SUMMARY_EVERY_MS = 60_000;
/** At most this many distinct sources are named in a summary. */
const MAX_SOURCES = 5;
/** Distinct sources counted beyond those named, to bound the memory a flood costs. */
const MAX_COUNTED_SOURCES = 10_000;

/** What a summary says about the lines it stands for. */
export interface Suppressed {
  /** The kind's key field: the summary stands for lines `<event> <key>=…`. */
  key: string;
  count: number;
  seconds: number;
  /** Distinct values of the key field, ports dropped (`127.0.0.1`), and how many more. */
  sources: string[];
  moreSources: number;
  /** True when there were more distinct sources than were counted. */
  atLeast: boolean;
}

interface Burst {
  since: number;
  count: number;
  /** Lines of the kind, written or not, since the last tick: the burst ends when few arrive. */
  sinceTick: number;
  sources: Set<string>;
  others: Set<string>;
  timer: NodeJS.Timeout;
}

interface Kind {
  event: string;
  key: string;
  windowStart: number;
  inWindow: number;
  burst?: Burst;
}

/**
 * Decides, line by line, whether a limited kind of line is written. The summary of a burst
 * goes to `summarize`, which writes it without asking again.
 */
export class AuditLimiter {
  private readonly kinds = new Map<string, Kind>();

  constructor(
    private readonly summarize: (event: string, s: Suppressed) => void,
    private readonly perSecond = AUDIT_LINES_PER_SECOND,
    private readonly summaryEveryMs = AUDIT_SUMMARY_EVERY_MS,
  ) {}

  /**
   * True when a line `event key=source …` is to be written now; false when it is counted
   * into its burst's summary instead.
   */
  admit(event: string, key: string, source: unknown): boolean {
    const id = `${event} ${key}`;
    let kind = this.kinds.get(id);
    const now = performance.now();
    if (!kind) this.kinds.set(id, (kind = { event, key, windowStart: now, inWindow: 0 }));
    if (now - kind.windowStart >= 1000) {
      kind.windowStart = now;
      kind.inWindow = 0;
    }
    kind.inWindow++;
    if (!kind.burst && kind.inWindow <= this.perSecond) return true;
    const burst = (kind.burst ??= this.startBurst(kind, now));
    burst.count++;
    burst.sinceTick++;
    const from = typeof source === 'string' ? source.replace(/:\d+$/, '') : undefined;
    if (from !== undefined && !burst.sources.has(from)) {
      if (burst.sources.size < MAX_SOURCES) burst.sources.add(from);
      else if (burst.others.size < MAX_COUNTED_SOURCES) burst.others.add(from);
    }
    return false;
  }

  /** Writes the summaries of bursts still going (at shutdown), and stops their timers. */
  flush(): void {
    for (const kind of this.kinds.values()) this.endBurst(kind);
  }

  private startBurst(kind: Kind, now: number): Burst {
    const timer = setInterval(() => this.tick(kind), 1000);
    // A summary still to come must not keep a process alive that has nothing else to do.
    timer.unref();
    // The lines already written this second count toward whether the burst goes on.
    return { since: now, count: 0, sinceTick: kind.inWindow - 1, sources: new Set(), others: new Set(), timer };
  }

  /** Once a second during a burst: it ends when a second brings no more than the limit. */
  private tick(kind: Kind): void {
    const burst = kind.burst;
    if (!burst) return;
    if (burst.sinceTick <= this.perSecond) {
      this.endBurst(kind);
      // Lines are written again from a fresh second.
      kind.windowStart = performance.now();
      kind.inWindow = 0;
      return;
    }
    burst.sinceTick = 0;
    if (performance.now() - burst.since >= this.summaryEveryMs) {
      this.report(kind, burst);
      burst.since = performance.now();
      burst.count = 0;
      burst.sources.clear();
      burst.others.clear();
    }
  }

  private endBurst(kind: Kind): void {
    const burst = kind.burst;
    if (!burst) return;
    clearInterval(burst.timer);
    kind.burst = undefined;
    this.report(kind, burst);
  }

  private report(kind: Kind, burst: Burst): void {
    if (burst.count === 0) return;
    this.summarize(kind.event, {
      key: kind.key,
      count: burst.count,
      seconds: Math.round((performance.now() - burst.since) / 100) / 10,
      sources: [...burst.sources],
      moreSources: burst.others.size,
      atLeast: burst.others.size >= MAX_COUNTED_SOURCES,
    });
  }
}
