/**
 * The `reparent` processor (docs/reparent-processor.md): puts each CLIENT span the meshtrace
 * filter healed (`meshtrace.healed`) under the SERVER span of the same proxy and request, and
 * moves the spans of a healed request's own trace into the healed trace.
 *
 * Why: when an application forwards only `x-request-id`, the filter gives its outbound call the
 * context of the inbound request (remembered by request ID). But Envoy started that call's span
 * before the filter ran, from headers without a context: the healed CLIENT span is the root of a
 * trace of its own (T2), and the callee's proxy continues T2, because Envoy's router writes the
 * span's context in the tracer's own format. The filter names the healed trace (T1) in a header
 * that becomes the span tag `meshtrace.healed_trace` on the healed span and on the spans that
 * continue it. (A healed span that did continue the healed context appears as a sibling of the
 * SERVER span it belongs under: the filter can only remember the inbound request's parent.)
 *
 * How: a span tagged `meshtrace.healed_trace` teaches the alias T2 → T1 and moves into T1; any
 * later span of T2 moves too (trace-alias.ts; bounded, kept `trace_alias_ttl`). SERVER spans are
 * remembered for `wait_duration` (and passed on at once); a healed CLIENT span whose SERVER span
 * is known goes under it in place (into its trace, learning the alias, if it is in another) and
 * passes on with its request; one whose SERVER span has not arrived yet (the SERVER span ends
 * after its calls, and Envoy flushes per worker thread) is held, and goes out under it when the
 * SERVER span arrives, or unchanged when `wait_duration` is over. Nothing else waits. The
 * memories are bounded (oldest out first, counted); held spans are passed on at shutdown. Spans of
 * T2 that went out before its alias was known cannot be changed: they are counted (estimated).
 *
 * Delivery: a healed span held from a request is the processor's to deliver once the request
 * was accepted downstream. If the next consumer refuses a request, the spans of that request
 * that were held are forgotten (its sender resends the request or was told of the loss) and held
 * spans that were to go out with it are held again.
 */
import type { CreateSettings, Host, TraceConsumer, TracesProcessor } from '../../component/component.js';
import { ConsumerError } from '../../component/consumer-error.js';
import { cloneTraceData } from '../../pdata/clone.js';
import type { KeyValue, ResourceSpans, ScopeSpans, Span, TraceData } from '../../pdata/model.js';
import { idToHex, nanosToNumber, sameBytes, SpanKind } from '../../pdata/model.js';
import type { ReparentConfig } from './config.js';
import { isServerTrace, PendingSpans, ServerIndex, serverEntry, serverTraceId, type PendingEntry, type RequestKey, type ServerEntry } from './memory.js';
import { isHealedValue, isUsableRequestId, requestKeyHash } from './request-key.js';
import { parseTraceAlias, RecentTraces, TraceAliases, traceHash } from './trace-alias.js';

export const HEALED_ATTRIBUTE = 'meshtrace.healed';
/** The healed trace a span belongs to (32 hex digits), as Istio records the filter's x-meshtrace-healed-trace. */
export const HEALED_TRACE_ATTRIBUTE = 'meshtrace.healed_trace';
export const NODE_ID_ATTRIBUTE = 'node_id';
export const REQUEST_ID_ATTRIBUTE = 'guid:x-request-id';
/** Where a re-parented span keeps the parent it had (hex; not set on a span that had none). */
export const ORIGINAL_PARENT_ATTRIBUTE = 'meshtrace.original_parent_span_id';
/** Where a span moved into the healed trace keeps the trace ID it had (hex). */
export const ORIGINAL_TRACE_ATTRIBUTE = 'meshtrace.original_trace_id';

/** What became of healed spans (metric `meshtrace_processor_reparent_spans_total{outcome}`). */
export type Outcome =
  /** Put under their SERVER span (at once, on its arrival, or at the end of the wait). */
  | 'reparented'
  /** Passed on unchanged: no SERVER span came within `wait_duration`. */
  | 'unmatched'
  /** Passed on unchanged before their wait was over: `max_pending_spans` was reached. */
  | 'evicted'
  /** Passed on unchanged at shutdown. */
  | 'shutdown'
  /** Passed on unchanged at once: not a CLIENT span, or no `node_id` / `guid:x-request-id` to key on. */
  | 'unkeyed';

/** Spans moved into a healed trace (metric `meshtrace_processor_reparent_trace_alias_spans_total{outcome}`). */
export type AliasOutcome =
  /** By their own `meshtrace.healed_trace` tag. */
  | 'tagged'
  /** By an alias learned from another span of their trace. */
  | 'learned'
  /** A healed span matched to its SERVER span in another trace. */
  | 'matched'
  /** Not moved: they had gone out before their trace's alias was known (an estimate). */
  | 'passed_before_alias';

export interface ReparentObserver {
  /** Healed spans handed on, by outcome (after the next consumer took them). */
  outcome(outcome: Outcome, count: number): void;
  /** Spans moved into a healed trace (after the next consumer took them), or counted as gone before. */
  aliasSpans(outcome: AliasOutcome, count: number): void;
  /** Sizes of the memories, and entries forgotten early so far. */
  sizes(pending: number, servers: number, forgottenServers: number, aliases: number, forgottenAliases: number): void;
}

const NO_OBSERVER: ReparentObserver = { outcome() {}, aliasSpans() {}, sizes() {} };

/** Spans moved by one request (or one tick), reported once the next consumer took them. */
class Moved {
  tagged = 0;
  learned = 0;
  matched = 0;

  reset(): void {
    this.tagged = this.learned = this.matched = 0;
  }

  reportTo(o: ReparentObserver): void {
    if (this.tagged > 0) o.aliasSpans('tagged', this.tagged);
    if (this.learned > 0) o.aliasSpans('learned', this.learned);
    if (this.matched > 0) o.aliasSpans('matched', this.matched);
    this.reset();
  }
}

/** The tags of one span the processor reads, in one pass over its attributes. */
class HealFacts {
  nodeId: string | undefined;
  requestId: string | undefined;
  healed = false;
  healedTrace: string | undefined;

  read(attrs: readonly KeyValue[]): this {
    this.nodeId = undefined;
    this.requestId = undefined;
    this.healed = false;
    this.healedTrace = undefined;
    for (let i = 0; i < attrs.length; i++) {
      const kv = attrs[i]!;
      const key = kv.key;
      // Envoy writes ~20 tags per span: reject most by length before comparing strings.
      switch (key.length) {
        case 7:
          if (key === NODE_ID_ATTRIBUTE) this.nodeId = kv.value?.stringValue ?? undefined;
          break;
        case 16:
          if (key === HEALED_ATTRIBUTE) this.healed = isHealedValue(kv.value);
          break;
        case 17:
          if (key === REQUEST_ID_ATTRIBUTE) this.requestId = kv.value?.stringValue ?? undefined;
          break;
        case 22:
          if (key === HEALED_TRACE_ATTRIBUTE) this.healedTrace = kv.value?.stringValue ?? undefined;
          break;
      }
    }
    return this;
  }
}

/** What one request did beyond passing through: made only when there is something (rare). */
class RequestWork {
  readonly counts = new Map<Outcome, number>();
  /** Held spans going out with this request (their SERVER span arrived, or the bound pushed them out). */
  readonly outgoing: PendingEntry[] = [];
  /** This request's healed spans now held. */
  readonly held: PendingEntry[] = [];

  add(o: Outcome, n = 1): void {
    this.counts.set(o, (this.counts.get(o) ?? 0) + n);
  }
}

/** A healed CLIENT span found in a request, with where it sits. */
interface Found {
  rs: ResourceSpans;
  ss: ScopeSpans;
  span: Span;
  key: RequestKey;
  startNs: number;
}

function spanIdBytes(e: ServerEntry): Uint8Array {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(e.s0, 0);
  b.writeUInt32BE(e.s1, 4);
  return b;
}

function isParent(span: Span, e: ServerEntry): boolean {
  const p = span.parentSpanId;
  if (!p || p.length !== 8) return false;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0 === e.s0 && ((p[4]! << 24) | (p[5]! << 16) | (p[6]! << 8) | p[7]!) >>> 0 === e.s1;
}

/**
 * Puts `span` under the SERVER span `e`, keeping the parent it had in an attribute (once: a span
 * re-parented by an earlier collector tier keeps the first one; none for a root span).
 */
function reparent(span: Span, e: ServerEntry): void {
  if (isParent(span, e)) return;
  const had = span.parentSpanId;
  if (had && had.length === 8 && !span.attributes.some((kv) => kv.key === ORIGINAL_PARENT_ATTRIBUTE)) {
    span.attributes.push({ key: ORIGINAL_PARENT_ATTRIBUTE, value: { stringValue: idToHex(had) } });
  }
  span.parentSpanId = spanIdBytes(e);
}

/** Moves `span` into trace `target`, keeping the trace it had in an attribute (once). */
function moveTrace(span: Span, target: Uint8Array): void {
  if (sameBytes(span.traceId, target)) return;
  if (!span.attributes.some((kv) => kv.key === ORIGINAL_TRACE_ATTRIBUTE)) span.attributes.push({ key: ORIGINAL_TRACE_ATTRIBUTE, value: { stringValue: idToHex(span.traceId) } });
  span.traceId = target;
}

function isHealedSpan(span: Span): boolean {
  return span.attributes.some((kv) => kv.key === HEALED_ATTRIBUTE && isHealedValue(kv.value));
}

/** Held spans back into request form, one resource and scope per held span (they are few). */
function traceDataOf(entries: readonly PendingEntry[]): TraceData {
  return {
    resourceSpans: entries.map((e) => ({
      resource: e.resource,
      schemaUrl: e.resourceSchemaUrl,
      scopeSpans: [{ scope: e.scope, schemaUrl: e.scopeSchemaUrl, spans: [e.span] }],
    })),
  };
}

export class ReparentProcessor implements TracesProcessor {
  private readonly servers: ServerIndex;
  private readonly pending: PendingSpans;
  private readonly aliases: TraceAliases;
  private readonly recent = new RecentTraces();
  private readonly facts = new HealFacts();
  private readonly found: Found[] = [];
  /** Spans moved by the request (or tick) in progress. */
  private readonly moved = new Moved();
  /** Hashes of the traces whose alias was learned during the request (or tick) in progress. */
  private readonly learnedNow: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly cfg: ReparentConfig,
    private readonly settings: CreateSettings,
    private readonly next: TraceConsumer,
    private readonly observer: ReparentObserver = NO_OBSERVER,
    /** Milliseconds; a test clock can stand in. */
    private readonly now: () => number = Date.now,
  ) {
    this.servers = new ServerIndex(cfg.maxServerSpans);
    this.pending = new PendingSpans(cfg.maxPendingSpans);
    this.aliases = new TraceAliases(cfg.maxTraceAliases, cfg.traceAliasTtlMs);
  }

  /** How often held spans are checked for the end of their wait. */
  get tickMs(): number {
    return Math.max(10, Math.min(1000, Math.floor(this.cfg.waitMs / 10)));
  }

  get pendingSpans(): number {
    return this.pending.size;
  }

  get rememberedServerSpans(): number {
    return this.servers.size;
  }

  get traceAliases(): number {
    return this.aliases.size;
  }

  async start(_host: Host): Promise<void> {
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  async consumeTraces(td: TraceData): Promise<void> {
    if (this.stopping) return this.next.consumeTraces(td); // nothing is held any more
    const now = this.now();
    this.servers.expire(now);
    this.aliases.expire(now);
    this.moved.reset();
    let work = this.rememberServers(td, now);
    work = this.handleHealed(td, now, work);
    if (work !== undefined) for (const e of work.outgoing) this.applyAlias(e.span);
    // An alias learned during this request: its spans before the learning move too.
    if (this.learnedNow.length > 0) this.settleLearned(this.fixUp(td));
    const moved = this.moved.tagged + this.moved.learned + this.moved.matched > 0;
    // The common request: no healed span in it, none of the held ones released by it, nothing moved.
    if (work === undefined && !moved) return this.next.consumeTraces(td);
    if (work !== undefined && work.outgoing.length > 0) td.resourceSpans.push(...traceDataOf(work.outgoing).resourceSpans);
    if (td.resourceSpans.length === 0) {
      // Everything in it is held: nothing to pass on now (an empty export would only cost).
      this.accepted(work);
      return;
    }
    try {
      await this.next.consumeTraces(td);
    } catch (err) {
      // The sender learns of the refusal and resends or drops this request; held spans that were
      // to go with it are ours to deliver later.
      if (work !== undefined) {
        const mine = new Set(work.held);
        this.pending.forget(work.held);
        this.pending.restore(work.outgoing.filter((e) => !mine.has(e)));
      }
      this.moved.reset();
      this.report();
      throw err;
    }
    this.accepted(work);
  }

  /** The next consumer took a request: its outcomes and moves are counted. */
  private accepted(work: RequestWork | undefined): void {
    if (work !== undefined) for (const [o, n] of work.counts) this.observer.outcome(o, n);
    this.moved.reportTo(this.observer);
    this.report();
  }

  /**
   * The trace a span moves into by its `meshtrace.healed_trace` tag (learning the alias), or
   * undefined when the tag is malformed or names the span's own trace.
   */
  private learnFromTag(t: Uint8Array, tag: string, now: number): Uint8Array | undefined {
    const target = parseTraceAlias(tag);
    if (target === undefined || sameBytes(t, target)) return undefined;
    this.moved.tagged++;
    return this.learn(t, target, now);
  }

  /** Learns that trace `source` belongs to `target`; returns the trace it now belongs to. */
  private learn(source: Uint8Array, target: Uint8Array, now: number): Uint8Array {
    const r = this.aliases.learn(source, target, now);
    if (r.result === 'new') this.learnedNow.push(traceHash(source));
    return r.target;
  }

  /** Moves a span whose trace is aliased (a held span on its way out). */
  private applyAlias(span: Span): void {
    const target = this.aliases.resolve(span.traceId);
    if (target === undefined) return;
    moveTrace(span, target);
    this.moved.learned++;
  }

  /**
   * Puts a healed span under its SERVER span; a span in another trace than the SERVER span's
   * moves into it, and its trace's alias is learned.
   */
  private placeUnder(span: Span, e: ServerEntry, now: number): void {
    if (!isServerTrace(span.traceId, e)) {
      const own = serverTraceId(e);
      const target = this.aliases.resolve(own) ?? own;
      if (!sameBytes(span.traceId, target)) {
        moveTrace(span, this.learn(span.traceId, target, now));
        this.moved.matched++;
      }
    }
    reparent(span, e);
  }

  /**
   * After an alias was learned in the middle of a request: moves the request's spans of that trace
   * that went by before it. Returns how many non-healed spans of each trace it moved (they were
   * counted as gone out unaliased in the recent-traces table, and are not).
   */
  private fixUp(td: TraceData): Map<number, number> {
    const fixed = new Map<number, number>();
    for (const rs of td.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          const t = span.traceId;
          if (!t || t.length !== 16) continue;
          const target = this.aliases.resolve(t);
          if (target === undefined) continue;
          if (!isHealedSpan(span)) {
            const h = traceHash(t);
            fixed.set(h, (fixed.get(h) ?? 0) + 1);
          }
          moveTrace(span, target);
          this.moved.learned++;
        }
      }
    }
    return fixed;
  }

  /** Counts, for each alias just learned, the spans of its trace that had gone out before. */
  private settleLearned(fixed?: Map<number, number>): void {
    let passed = 0;
    for (const h of this.learnedNow) passed += Math.max(0, this.recent.take(h) - (fixed?.get(h) ?? 0));
    this.learnedNow.length = 0;
    if (passed > 0) this.observer.aliasSpans('passed_before_alias', passed);
  }

  /**
   * Pass 1: moves the spans of aliased traces (learning aliases from `meshtrace.healed_trace`),
   * remembers every keyed SERVER span, takes out the held spans it is the parent of, and collects
   * the healed spans (this.found). Returns the request's work record once there is any.
   */
  private rememberServers(td: TraceData, now: number): RequestWork | undefined {
    const f = this.facts;
    const found = this.found;
    const aliases = this.aliases;
    found.length = 0;
    let work: RequestWork | undefined;
    for (const rs of td.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          // Envoy's spans are SERVER or CLIENT: only they carry the tags read here.
          const keyed = span.kind === SpanKind.SERVER || span.kind === SpanKind.CLIENT;
          if (keyed) f.read(span.attributes);
          const t = span.traceId;
          if (t && t.length === 16) {
            const h = traceHash(t);
            let target = keyed && f.healedTrace !== undefined ? this.learnFromTag(t, f.healedTrace, now) : undefined;
            if (target === undefined && aliases.size > 0) {
              target = aliases.resolve(t, h);
              if (target !== undefined) this.moved.learned++;
            }
            if (target !== undefined) moveTrace(span, target);
            else if (!(keyed && f.healed)) this.recent.record(h); // healed spans are held or matched, not gone
          }
          if (!keyed) continue;
          if (f.healed) {
            if (span.kind !== SpanKind.CLIENT || !f.nodeId || !isUsableRequestId(f.requestId) || !span.traceId || span.traceId.length !== 16) {
              (work ??= new RequestWork()).add('unkeyed');
              continue;
            }
            found.push({
              rs, ss, span,
              key: { hash: requestKeyHash(f.requestId), traceId: span.traceId, nodeId: f.nodeId, requestId: f.requestId },
              startNs: nanosToNumber(span.startTimeUnixNano),
            });
            continue;
          }
          if (span.kind !== SpanKind.SERVER || !f.nodeId || !isUsableRequestId(f.requestId)) continue;
          if (!span.traceId || span.traceId.length !== 16 || !span.spanId || span.spanId.length !== 8) continue;
          const hash = requestKeyHash(f.requestId);
          const e = serverEntry(hash, span.traceId, f.nodeId, f.requestId, span.spanId, nanosToNumber(span.startTimeUnixNano), nanosToNumber(span.endTimeUnixNano), now + this.cfg.waitMs);
          this.servers.remember(e);
          if (this.pending.size === 0) continue;
          for (const p of this.pending.takeFor(e)) {
            this.placeUnder(p.span, e, now);
            work ??= new RequestWork();
            work.outgoing.push(p);
            work.add('reparented');
          }
        }
      }
    }
    return work;
  }

  /** Pass 2: re-parents healed spans whose SERVER span is known; holds the others. */
  private handleHealed(td: TraceData, now: number, prior: RequestWork | undefined): RequestWork | undefined {
    const found = this.found;
    if (found.length === 0) return prior;
    const work = prior ?? new RequestWork();
    const { outgoing, held } = work;
    const add = (o: Outcome): void => work.add(o);
    const takenOut = new Set<Span>();
    const scopes = new Set<ScopeSpans>();
    for (const h of found) {
      const server = this.servers.find(h.key, h.startNs, false);
      if (server) {
        this.placeUnder(h.span, server, now);
        add('reparented');
        continue;
      }
      const entry = this.holdCopy(h, now);
      entry.fallback = this.servers.find(h.key, h.startNs, true);
      held.push(entry);
      takenOut.add(h.span);
      scopes.add(h.ss);
      for (const old of this.pending.hold(entry)) {
        outgoing.push(old);
        add('evicted');
      }
    }
    found.length = 0;
    if (takenOut.size === 0) return work;
    // Take the held spans out of their request; drop scopes and resources left empty.
    for (const ss of scopes) ss.spans = ss.spans.filter((s) => !takenOut.has(s));
    td.resourceSpans = td.resourceSpans.filter((rs) => {
      if (!rs.scopeSpans.some((ss) => scopes.has(ss))) return true;
      rs.scopeSpans = rs.scopeSpans.filter((ss) => ss.spans.length > 0);
      return rs.scopeSpans.length > 0;
    });
    return work;
  }

  private holdCopy(h: Found, now: number): PendingEntry {
    // A deep copy: the request's buffers must not stay alive with a held span (see memory.ts).
    const copy = cloneTraceData({ resourceSpans: [{ resource: h.rs.resource, scopeSpans: [{ scope: h.ss.scope, spans: [h.span] }] }] }).resourceSpans[0]!;
    return {
      hash: h.key.hash,
      nodeId: h.key.nodeId,
      requestId: h.key.requestId,
      startNs: h.startNs,
      expiresAt: now + this.cfg.waitMs,
      span: copy.scopeSpans[0]!.spans[0]!,
      resource: copy.resource,
      resourceSchemaUrl: h.rs.schemaUrl,
      scope: copy.scopeSpans[0]!.scope,
      scopeSchemaUrl: h.ss.schemaUrl,
      fallback: undefined,
      removed: false,
    };
  }

  /**
   * Passes on the held spans whose wait is over: under the latest SERVER span of their request
   * that started before them (an application that called out after answering), else unchanged.
   * Exposed for tests; the timer calls it every tickMs.
   */
  tick(): Promise<void> {
    if (this.ticking || this.stopping) return this.ticking ?? Promise.resolve();
    this.ticking = this.passOnExpired().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async passOnExpired(): Promise<void> {
    const now = this.now();
    const expired = this.pending.takeExpired(now);
    // Resolved before the SERVER spans of the same age are forgotten.
    this.moved.reset();
    const outcomes = this.resolveLate(expired, 'unmatched', now);
    this.settleLearned();
    this.servers.expire(now);
    this.aliases.expire(now);
    // The gauges follow the memories at each tick (and after each request that held or released).
    if (expired.length === 0) return this.report();
    try {
      await this.next.consumeTraces(traceDataOf(expired));
      for (const [o, n] of outcomes) this.observer.outcome(o, n);
      this.moved.reportTo(this.observer);
    } catch (err) {
      if (err instanceof ConsumerError && err.retryable) {
        // Held again and tried at the next tick (re-parenting again is harmless).
        this.pending.restore(expired);
      } else {
        const reason = err instanceof ConsumerError ? err.reason : 'downstream_error';
        this.settings.metrics.dropped(this.settings.logger, this.settings.id, expired.length, reason, (err as Error)?.message);
      }
    }
    this.report();
  }

  /**
   * The end-of-wait rule for held spans (a span whose trace was aliased meanwhile moves too);
   * returns the outcome counts (`otherwise` for the unmatched).
   */
  private resolveLate(entries: readonly PendingEntry[], otherwise: Outcome, now: number): Map<Outcome, number> {
    const counts = new Map<Outcome, number>();
    for (const e of entries) {
      this.applyAlias(e.span);
      const key: RequestKey = { hash: e.hash, traceId: e.span.traceId, nodeId: e.nodeId, requestId: e.requestId };
      const found = this.servers.find(key, e.startNs, true);
      const server = found && (!e.fallback || found.startNs >= e.fallback.startNs) ? found : e.fallback;
      if (server) this.placeUnder(e.span, server, now);
      const o: Outcome = server ? 'reparented' : otherwise;
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    return counts;
  }

  private report(): void {
    this.observer.sizes(this.pending.size, this.servers.size, this.servers.forgotten, this.aliases.size, this.aliases.forgotten);
  }

  /** Passes every held span on (re-parented where its SERVER span is known), retrying until the deadline. */
  async shutdown(deadline: AbortSignal): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    const rest = this.pending.takeAll();
    if (rest.length > 0) {
      this.moved.reset();
      const outcomes = this.resolveLate(rest, 'shutdown', this.now());
      this.settleLearned();
      const td = traceDataOf(rest);
      for (let delay = 20; ; delay = Math.min(delay * 2, 1000)) {
        if (deadline.aborted) {
          this.settings.metrics.dropped(this.settings.logger, this.settings.id, rest.length, 'shutdown_deadline', 'held healed spans not taken downstream before the shutdown deadline');
          break;
        }
        try {
          await this.next.consumeTraces(td);
          for (const [o, n] of outcomes) this.observer.outcome(o, n);
          this.moved.reportTo(this.observer);
          break;
        } catch (err) {
          if (!(err instanceof ConsumerError && err.retryable)) {
            const reason = err instanceof ConsumerError ? err.reason : 'downstream_error';
            this.settings.metrics.dropped(this.settings.logger, this.settings.id, rest.length, reason, (err as Error)?.message);
            break;
          }
          await sleepUnlessAborted(delay, deadline);
        }
      }
    }
    this.servers.clear();
    this.aliases.clear();
    this.report();
  }
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
