/**
 * Chooses one epoch per trace for IDs that must be rewritten (epoch.ts), in three layers:
 *  1. an in-process LRU (`lru-cache`, bounded, TTL refreshed on every hit): exact within one
 *     replica while the trace is active;
 *  2. an optional shared store (Redis, first writer wins): exact across replicas;
 *  3. the deterministic window rule: what every replica computes alone when there is no store
 *     or the store fails (disagreement probability d/W for a trace lasting d, see epoch.ts).
 * The candidate offered to the store and cached is always the deterministic epoch of the first
 * span of the trace this replica sees, so the layers agree with each other whenever possible.
 * The store is never allowed to block the pipeline: its calls have a bounded timeout and any
 * failure falls back to layer 3, counted through `onStoreFallback`.
 */
import { LRUCache } from 'lru-cache';
import type { TraceData } from '../../../pdata/model.js';
import { idToHex, nanosToNumber } from '../../../pdata/model.js';
import { deterministicEpoch, needsRewrite, normalizeTraceId, type TraceIdEpochMode } from './epoch.js';

/** A shared, first-writer-wins map from trace ID (32 hex digits) to epoch. */
export interface EpochStore {
  /**
   * For each entry, stores the candidate when the key is absent and returns the stored value
   * (the first writer's). Rejects when the store is unreachable or too slow.
   */
  claim(entries: ReadonlyArray<readonly [traceHex: string, candidate: number]>): Promise<number[]>;
  close(): Promise<void>;
}

/** Trace ID hex → epoch, for the translator. */
export type EpochLookup = ReadonlyMap<string, number>;

export interface EpochResolverOptions {
  mode: TraceIdEpochMode;
  /** Window W of the deterministic rule, seconds. */
  windowSec: number;
  cacheMax: number;
  cacheTtlMs: number;
  store?: EpochStore;
  /** Wall clock in ms (tests inject one; it also drives the cache TTL). */
  now?: () => number;
  /** Called when the store failed and `count` traces got the deterministic epoch instead. */
  onStoreFallback?: (err: unknown, count: number) => void;
}

export class EpochResolver {
  readonly mode: TraceIdEpochMode;
  readonly windowSec: number;
  private readonly cache: LRUCache<string, number>;
  private readonly store?: EpochStore;
  private readonly now: () => number;
  private readonly onStoreFallback?: (err: unknown, count: number) => void;

  constructor(opts: EpochResolverOptions) {
    this.mode = opts.mode;
    this.windowSec = opts.windowSec;
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.onStoreFallback = opts.onStoreFallback;
    this.cache = new LRUCache<string, number>({
      max: opts.cacheMax,
      ttl: opts.cacheTtlMs,
      updateAgeOnGet: true,
      ...(opts.now ? { perf: { now: opts.now }, ttlResolution: 0 } : {}),
    });
  }

  nowSec(): number {
    return this.now() / 1000;
  }

  /**
   * Epochs for every trace in `td` that needs one, consulting the store for cache misses (one
   * round trip for the whole batch). Never rejects.
   */
  async resolve(td: TraceData): Promise<EpochLookup> {
    const { epochs, pending } = this.resolveLocal(td);
    if (pending.length === 0) return epochs;
    const settled = await this.settle(pending);
    for (const [hex, epoch] of settled) epochs.set(hex, epoch);
    return epochs;
  }

  /**
   * The synchronous half of resolve(), for translating at enqueue time: epochs from the cache;
   * cache misses get their deterministic candidate (the trace's first span here) in `epochs`.
   * Without a store that candidate is final and remembered at once (as resolveSync); with a store
   * the misses are also returned as `pending`, to be settled by settle() before sending.
   */
  resolveLocal(td: TraceData): { epochs: Map<string, number>; pending: Array<[string, number]> } {
    const epochs = new Map<string, number>();
    const misses = this.collect(td, this.nowSec(), epochs);
    if (!this.store) {
      for (const [hex, candidate] of misses) this.remember(epochs, hex, candidate);
      return { epochs, pending: [] };
    }
    for (const [hex, candidate] of misses) epochs.set(hex, candidate);
    return { epochs, pending: misses };
  }

  /**
   * Final epochs for traces resolveLocal() left pending: the cache first (another batch of the
   * trace may have settled it meanwhile), then the store (one round trip), else the candidates
   * (store unreachable: counted through onStoreFallback). Never rejects.
   */
  async settle(pending: ReadonlyArray<readonly [string, number]>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const misses: Array<readonly [string, number]> = [];
    for (const entry of pending) {
      const cached = this.cache.get(entry[0]);
      if (cached !== undefined) out.set(entry[0], cached);
      else misses.push(entry);
    }
    if (misses.length === 0) return out;
    if (this.store) {
      try {
        const stored = await this.store.claim(misses);
        for (let i = 0; i < misses.length; i++) this.remember(out, misses[i][0], checkEpoch(stored[i], misses[i][1]));
        return out;
      } catch (err) {
        this.onStoreFallback?.(err, misses.length);
      }
    }
    for (const [hex, candidate] of misses) this.remember(out, hex, candidate);
    return out;
  }

  /** The same without a store: LRU + deterministic rule only (benchmarks, tests). */
  resolveSync(td: TraceData): EpochLookup {
    const out = new Map<string, number>();
    for (const [hex, candidate] of this.collect(td, this.nowSec(), out)) this.remember(out, hex, candidate);
    return out;
  }

  /** Fills `out` from the cache; returns the cache misses with their deterministic candidates. */
  private collect(td: TraceData, nowSec: number, out: Map<string, number>): Array<[string, number]> {
    const misses: Array<[string, number]> = [];
    if (this.mode !== 'rewrite') return misses;
    const missing = new Set<string>();
    for (const rs of td.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          const id = normalizeTraceId(span.traceId);
          if (!id || !needsRewrite(this.mode, id, nowSec)) continue;
          const hex = idToHex(id);
          if (out.has(hex) || missing.has(hex)) continue;
          const cached = this.cache.get(hex);
          if (cached !== undefined) {
            out.set(hex, cached);
            continue;
          }
          missing.add(hex);
          // The trace's first span (as this replica sees it) chooses the candidate.
          misses.push([hex, deterministicEpoch(id, nanosToNumber(span.startTimeUnixNano) / 1e9, nowSec, this.windowSec)]);
        }
      }
    }
    return misses;
  }

  private remember(out: Map<string, number>, hex: string, epoch: number): void {
    out.set(hex, epoch);
    this.cache.set(hex, epoch);
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}

/** A stored value that is not a sane epoch (someone else wrote the key) is ignored. */
function checkEpoch(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isInteger(v) && v > 0 && v <= 0xffffffff ? v : fallback;
}
