/**
 * Rate-limits log lines that come in floods (a hostile client can make every request a refusal):
 * the first line of each kind is written, then at most one per interval, carrying how many were
 * left out since the last one. Metrics still count every event; the log only samples them.
 */
export const DEFAULT_LOG_SAMPLE_INTERVAL_MS = 10_000;

interface Slot {
  lastAt: number;
  suppressed: number;
}

/** Bounds the number of distinct keys kept (keys are component + reason: few in practice). */
const MAX_KEYS = 1024;

export class LogSampler {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly intervalMs = DEFAULT_LOG_SAMPLE_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether a line of kind `key` may be written now; when it may, `suppressed` is how many
   * lines of that kind were left out since the last one written (-1 when it may not).
   */
  take(key: string): number {
    const t = this.now();
    const slot = this.slots.get(key);
    if (!slot) {
      if (this.slots.size >= MAX_KEYS) this.slots.clear();
      this.slots.set(key, { lastAt: t, suppressed: 0 });
      return 0;
    }
    if (t - slot.lastAt < this.intervalMs) {
      slot.suppressed++;
      return -1;
    }
    const n = slot.suppressed;
    slot.lastAt = t;
    slot.suppressed = 0;
    return n;
  }
}
