/**
 * Exponential backoff with jitter, as the Collector's retry_on_failure does it (cenkalti/backoff):
 * each wait is the current interval ± randomization_factor, the interval grows by `multiplier`
 * up to `max_interval`, and retrying stops once the next wait would end after
 * `max_elapsed_time` (0 = never stop). A destination's RetryInfo / Retry-After is the minimum
 * wait. Pure apart from the injected random source, so it is tested with a fixed one.
 */
import type { RetryConfig } from './config.js';

export class Backoff {
  private currentMs: number;

  constructor(
    private readonly cfg: RetryConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.currentMs = cfg.initialIntervalMs;
  }

  /**
   * The wait before the next attempt, or undefined when retrying must stop.
   * @param elapsedMs time since the first attempt began
   * @param minDelayMs the destination's requested delay (RetryInfo / Retry-After), if any
   */
  next(elapsedMs: number, minDelayMs?: number): number | undefined {
    const rf = this.cfg.randomizationFactor;
    const delta = rf * this.currentMs;
    let delay = this.currentMs - delta + this.random() * (2 * delta);
    this.currentMs = Math.min(this.currentMs * this.cfg.multiplier, this.cfg.maxIntervalMs);
    if (minDelayMs !== undefined && minDelayMs > delay) delay = minDelayMs;
    const maxElapsed = this.cfg.maxElapsedTimeMs;
    if (maxElapsed > 0 && elapsedMs + delay > maxElapsed) return undefined;
    return Math.round(delay);
  }
}
