/**
 * Trace aliases: which trace a healed request's spans really belong to (pure data structures,
 * no I/O; docs/reparent-processor.md, "Across traces").
 *
 * Envoy starts a request's span before any filter runs, so the proxy span of an outbound request
 * the meshtrace filter healed starts a trace of its own (T2), and so does everything that
 * continues it: the callee's proxy continues the context Envoy's router wrote in the tracer's
 * own format. The filter names the healed trace (T1) in a header that Istio records as the span
 * tag `meshtrace.healed_trace`; the processor learns "T2 is T1" from that tag (or from a healed
 * span matched to its SERVER span in T1) and moves every later span of T2 into T1.
 *
 * - TraceAliases: T2 → T1, bounded (the oldest forgotten first, counted) and kept for a time after
 *   it was last confirmed. Keys are 32-bit hashes of the 16 trace-ID bytes, confirmed by
 *   comparing the bytes: looking up a span's trace allocates nothing, and a small table of
 *   counters by hash answers "not aliased" for nearly every span without touching the map (whose
 *   entries, scattered over the heap, cost a cache miss each).
 * - RecentTraces: a direct-mapped table of how many spans of each recent trace went out unaliased,
 *   so that when an alias is learned the spans of that trace that had already gone out can be
 *   counted (an estimate: a slot holds the latest trace that hashed to it; small, so it stays in
 *   the processor's cache: a span must not pay a memory access per span for a count).
 */
import { hexToId, isAllZero, sameBytes } from '../../pdata/model.js';
import { LiveFifo, unlink, word } from './memory.js';

/**
 * A 32-bit hash of the 16 bytes of a trace ID, paid by every span: the four words mixed with two
 * independent multiplications (no serial chain of 16 like FNV) and a final fold, so the low bits
 * the tables index by are spread even for structured IDs (a 64-bit ID zero-padded, counters).
 */
export function traceHash(t: Uint8Array): number {
  let h = Math.imul(word(t, 0) ^ word(t, 8), 0x9e3779b1) ^ Math.imul(word(t, 4) ^ word(t, 12), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Parses a `meshtrace.healed_trace` value: 32 hex digits, not all zero; undefined otherwise. */
export function parseTraceAlias(v: string | undefined): Uint8Array | undefined {
  if (v?.length !== 32) return undefined;
  const id = hexToId(v);
  return id && !isAllZero(id) ? id : undefined;
}

interface AliasEntry {
  hash: number;
  next: AliasEntry | undefined;
  /** The aliased trace (T2) as four big-endian words. */
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  /** The trace it belongs to (T1): 16 bytes of its own, shared by every span moved into it (never mutated). */
  target: Uint8Array;
  expiresAt: number;
  /** expiresAt when it was (re)queued: the queue is in that order. */
  queuedUntil: number;
  removed: boolean;
}

/** How far a chain of aliases is followed (T3 → T2 → T1 when T2's alias was learned after T3's). */
const MAX_HOPS = 4;
/** Counters of aliases by hash (64 KB): a zero means no alias of that hash, so no map lookup. */
const FILTER_SLOTS = 65_536;
const FILTER_MASK = FILTER_SLOTS - 1;

type LearnResult = 'new' | 'refreshed' | 'ignored';

export class TraceAliases {
  private readonly buckets = new Map<number, AliasEntry>();
  /** Aliases per hash & FILTER_MASK, saturating at 255 (a saturated counter is never decremented). */
  private readonly filter = new Uint8Array(FILTER_SLOTS);
  /**
   * Entries by queuedUntil; refreshed ones are queued again when they reach the front, and
   * entries dropped for the bound are skipped there.
   */
  private readonly queue = new LiveFifo<AliasEntry>();
  private count = 0;
  /** Aliases dropped for the size bound before their time was up. */
  forgotten = 0;

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The trace `t` (its traceHash: `hash`) belongs to, following chains; undefined when it is not aliased. */
  resolve(t: Uint8Array, hash: number = traceHash(t)): Uint8Array | undefined {
    if (this.count === 0 || t.length !== 16 || this.filter[hash & FILTER_MASK] === 0) return undefined;
    let e = this.find(t, hash);
    let found: Uint8Array | undefined;
    for (let hop = 0; e !== undefined && hop < MAX_HOPS; hop++) {
      found = e.target;
      const h = traceHash(found);
      e = this.filter[h & FILTER_MASK] === 0 ? undefined : this.find(found, h);
    }
    return found;
  }

  /**
   * Learns that trace `source` belongs to `target` (resolved through the aliases known), or
   * confirms it again (its time starts over). Ignored when it would alias a trace to itself.
   * Returns what happened and the trace `source` now belongs to.
   */
  learn(source: Uint8Array, target: Uint8Array, now: number): { result: LearnResult; target: Uint8Array } {
    const final = this.resolve(target) ?? target;
    if (source.length !== 16 || final.length !== 16 || sameBytes(source, final)) return { result: 'ignored', target: final };
    const existing = this.find(source, traceHash(source));
    if (existing) {
      if (!sameBytes(existing.target, final)) existing.target = Buffer.from(final);
      existing.expiresAt = now + this.ttlMs;
      return { result: 'refreshed', target: existing.target };
    }
    const hash = traceHash(source);
    const e: AliasEntry = {
      hash,
      next: this.buckets.get(hash),
      s0: word(source, 0),
      s1: word(source, 4),
      s2: word(source, 8),
      s3: word(source, 12),
      target: Buffer.from(final),
      expiresAt: now + this.ttlMs,
      queuedUntil: now + this.ttlMs,
      removed: false,
    };
    this.buckets.set(hash, e);
    this.queue.push(e);
    this.count++;
    const slot = hash & FILTER_MASK;
    if (this.filter[slot]! < 255) this.filter[slot] = this.filter[slot]! + 1;
    while (this.count > this.capacity) {
      const oldest = this.queue.shiftLive();
      if (!oldest) break;
      this.drop(oldest);
      this.forgotten++;
    }
    return { result: 'new', target: e.target };
  }

  /** Forgets the aliases not confirmed within their time. */
  expire(now: number): void {
    for (let e = this.queue.peekLive(); e !== undefined && e.queuedUntil <= now; e = this.queue.peekLive()) {
      this.queue.shift(); // e, just peeked
      if (e.expiresAt > now) {
        // confirmed since it was queued: back in line with its new time
        e.queuedUntil = e.expiresAt;
        this.queue.push(e);
      } else {
        this.drop(e);
      }
    }
  }

  clear(): void {
    this.buckets.clear();
    this.filter.fill(0);
    this.queue.clear();
    this.count = 0;
  }

  private find(t: Uint8Array, hash: number): AliasEntry | undefined {
    for (let e = this.buckets.get(hash); e !== undefined; e = e.next) {
      if (e.s0 === word(t, 0) && e.s1 === word(t, 4) && e.s2 === word(t, 8) && e.s3 === word(t, 12)) return e;
    }
    return undefined;
  }

  private drop(e: AliasEntry): void {
    e.removed = true;
    this.count--;
    const slot = e.hash & FILTER_MASK;
    if (this.filter[slot]! < 255) this.filter[slot] = this.filter[slot]! - 1;
    unlink(this.buckets, e);
  }
}

/**
 * Spans that went out in each recent trace without an alias, in a fixed table (no allocation per
 * span): a slot holds the count of the latest trace hashed to it. take() reads and clears it.
 */
export class RecentTraces {
  private readonly hashes: Uint32Array;
  private readonly counts: Uint16Array;
  private readonly mask: number;

  /** `slots`: a power of two (4,096: 24 KB, the last few thousand traces). */
  constructor(slots = 4_096) {
    if (slots <= 0 || (slots & (slots - 1)) !== 0) throw new Error('RecentTraces: slots must be a power of two');
    this.hashes = new Uint32Array(slots);
    this.counts = new Uint16Array(slots);
    this.mask = slots - 1;
  }

  record(hash: number): void {
    const i = hash & this.mask;
    const n = this.counts[i]!;
    if (n !== 0 && this.hashes[i] === hash) {
      if (n < 65_535) this.counts[i] = n + 1;
    } else {
      this.hashes[i] = hash;
      this.counts[i] = 1;
    }
  }

  /** The spans recorded for `hash` (0 when its slot holds another trace), and the slot cleared. */
  take(hash: number): number {
    const i = hash & this.mask;
    if (this.counts[i] === 0 || this.hashes[i] !== hash) return 0;
    const n = this.counts[i]!;
    this.counts[i] = 0;
    return n;
  }
}
