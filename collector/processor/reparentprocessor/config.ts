/**
 * Configuration of the `reparent` processor (docs/reparent-processor.md):
 *
 *   processors:
 *     reparent:
 *       wait_duration: 10s        # how long a healed span waits for its SERVER span
 *       max_pending_spans: 10000  # healed spans held at most; the oldest is passed on beyond
 *       max_server_spans: 50000   # SERVER spans remembered at most, for healed spans arriving later
 *       max_trace_aliases: 50000  # healed traces' aliases (T2 → T1) remembered at most
 *       trace_alias_ttl: 5m       # how long an alias is kept after it was last confirmed
 *
 * The names follow otelcol's `groupbytrace` (`wait_duration`, `num_traces`): a time every held
 * item waits at most, and a count that bounds memory.
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readDuration, readInt, readObject } from '../../config/validate.js';

export interface ReparentConfig {
  /** Milliseconds a healed CLIENT span is held for its SERVER span, and a SERVER span is remembered. */
  waitMs: number;
  /** Healed spans held at most; when full, the oldest is passed on unchanged (counted). */
  maxPendingSpans: number;
  /** SERVER spans remembered at most; when full, the oldest is forgotten (counted). */
  maxServerSpans: number;
  /** Trace aliases (a healed request's own trace → the healed trace) remembered at most; the oldest forgotten first (counted). */
  maxTraceAliases: number;
  /** Milliseconds an alias is kept after it was last confirmed (by a span carrying it, or learned again). */
  traceAliasTtlMs: number;
}

/**
 * Envoy's tracers flush every 5 s (or every few spans) per worker thread, and a request's inbound
 * and outbound spans are often finished on different workers: 10 s covers one flush of each plus
 * the request itself.
 */
export const defaultReparentConfig: Readonly<ReparentConfig> = Object.freeze({
  waitMs: 10_000,
  maxPendingSpans: 10_000,
  maxServerSpans: 50_000,
  maxTraceAliases: 50_000,
  // A healed request's spans reach the collector within Envoy's flush interval (5 s) and an SDK's
  // batch delay (5 s) of the request's end; 5 minutes also covers long requests, and an alias is
  // confirmed again by every span that carries it.
  traceAliasTtlMs: 300_000,
});

const KEYS = ['wait_duration', 'max_pending_spans', 'max_server_spans', 'max_trace_aliases', 'trace_alias_ttl'] as const;

/** Validates `processors.reparent` (or `processors.reparent/<name>`); never throws. */
export function parseReparentConfig(raw: unknown, path: string, issues: ConfigIssues): ReparentConfig {
  const o = readObject(raw, path, issues, KEYS);
  return {
    waitMs: readDuration(o.wait_duration, join(path, 'wait_duration'), issues, defaultReparentConfig.waitMs, { allowZero: false }),
    maxPendingSpans: readInt(o.max_pending_spans, join(path, 'max_pending_spans'), issues, defaultReparentConfig.maxPendingSpans, { min: 1 }),
    maxServerSpans: readInt(o.max_server_spans, join(path, 'max_server_spans'), issues, defaultReparentConfig.maxServerSpans, { min: 1 }),
    maxTraceAliases: readInt(o.max_trace_aliases, join(path, 'max_trace_aliases'), issues, defaultReparentConfig.maxTraceAliases, { min: 1 }),
    traceAliasTtlMs: readDuration(o.trace_alias_ttl, join(path, 'trace_alias_ttl'), issues, defaultReparentConfig.traceAliasTtlMs, { allowZero: false }),
  };
}
