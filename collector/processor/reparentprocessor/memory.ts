/**
 * The reparent processor's two bounded, time-ordered memories (pure data structures, no I/O):
 *
 * - ServerIndex: recent SERVER spans by (trace, node, request ID), for healed CLIENT spans that
 *   arrive after their SERVER span;
 * - PendingSpans: healed CLIENT spans waiting for their SERVER span.
 *
 * Both are keyed by requestKeyHash (a bucket per hash, confirmed by comparing the parts: the same
 * node and request ID, and the same trace unless the request ID is a UUID — see request-key.ts)
 * and kept in arrival order, so expiry and the size bound drop the oldest first. Entries keep copies
 * of what they need, never the decoded request they came from (protobufjs decodes IDs as views
 * into the request buffer, which would stay alive with them).
 */
import type { InstrumentationScope, Resource, Span } from '../../pdata/model.js';
import { idHigh, idLow, isUuidRequestId, sameRequestId } from './request-key.js';

/** The identity of a request at one proxy, as read from a span. */
export interface RequestKey {
  hash: number;
  traceId: Uint8Array;
  nodeId: string;
  requestId: string;
}

export interface ServerEntry {
  hash: number;
  /** The next entry with the same hash (a bucket is a short chain, no array per entry). */
  next: ServerEntry | undefined;
  /** The trace ID as four big-endian 32-bit words. */
  t0: number;
  t1: number;
  t2: number;
  t3: number;
  nodeId: string;
  requestId: string;
  /** The SERVER span's ID as two 32-bit words. */
  s0: number;
  s1: number;
  startNs: number;
  endNs: number;
  expiresAt: number;
}

export interface PendingEntry {
  hash: number;
  nodeId: string;
  requestId: string;
  startNs: number;
  expiresAt: number;
  /** A deep copy of the healed span, its resource and scope (see the module comment). */
  span: Span;
  resource: Resource | null | undefined;
  resourceSchemaUrl: string | undefined;
  scope: InstrumentationScope | null | undefined;
  scopeSchemaUrl: string | undefined;
  /**
   * The latest SERVER span of the request that had started, but was over, when the healed span
   * started, if one was known when it was held: the end-of-wait choice (kept here because the
   * index forgets it before the wait is over).
   */
  fallback: ServerEntry | undefined;
  /** Set when taken out of the memory (entries are removed from the order lazily). */
  removed: boolean;
}

/** Four bytes of an ID as a big-endian unsigned 32-bit number. */
export function word(id: Uint8Array, at: number): number {
  return ((id[at]! << 24) | (id[at + 1]! << 16) | (id[at + 2]! << 8) | id[at + 3]!) >>> 0;
}

export function serverEntry(hash: number, t: Uint8Array, nodeId: string, requestId: string, spanId: Uint8Array, startNs: number, endNs: number, expiresAt: number): ServerEntry {
  return {
    hash,
    next: undefined,
    t0: word(t, 0),
    t1: word(t, 4),
    t2: word(t, 8),
    t3: word(t, 12),
    nodeId,
    requestId,
    s0: idHigh(spanId),
    s1: idLow(spanId),
    startNs,
    endNs,
    expiresAt,
  };
}

/**
 * The same request at the same proxy: same node and request ID (index 14 aside); in any trace
 * when the ID is a UUID, else in the same trace.
 */
function sameRequest(e: ServerEntry, nodeId: string, requestId: string, traceId: Uint8Array): boolean {
  return e.nodeId === nodeId && sameRequestId(e.requestId, requestId) && (isUuidRequestId(requestId) || sameTrace(traceId, e));
}

function serverMatches(e: ServerEntry, key: RequestKey): boolean {
  return e.hash === key.hash && sameRequest(e, key.nodeId, key.requestId, key.traceId);
}

/** The SERVER span's trace ID as bytes (a new array: for the rare span moved into it). */
export function serverTraceId(e: ServerEntry): Uint8Array {
  const b = Buffer.allocUnsafe(16);
  b.writeUInt32BE(e.t0, 0);
  b.writeUInt32BE(e.t1, 4);
  b.writeUInt32BE(e.t2, 8);
  b.writeUInt32BE(e.t3, 12);
  return b;
}

/** Whether trace ID t is the SERVER span's. */
export function isServerTrace(t: Uint8Array, e: ServerEntry): boolean {
  return sameTrace(t, e);
}

/** A span that started at `startNs` during the SERVER span (same proxy, same clock). */
export function serverContains(e: ServerEntry, startNs: number): boolean {
  return e.startNs <= startNs && startNs <= e.endNs;
}

/** A FIFO of items with lazy removal from the front; compacts itself so memory stays bounded. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * A Fifo of entries that are taken out of their memory elsewhere by marking them `removed`:
 * those stay in line until they reach the front, where the *Live methods skip them.
 */
export class LiveFifo<T extends { removed: boolean }> extends Fifo<T> {
  /** The oldest entry not removed (removed ones found at the front are dropped). */
  peekLive(): T | undefined {
    for (let e = this.peek(); e !== undefined; e = this.peek()) {
      if (!e.removed) return e;
      this.shift();
    }
    return undefined;
  }

  shiftLive(): T | undefined {
    const e = this.peekLive();
    if (e !== undefined) this.shift();
    return e;
  }
}

function removeFrom<T>(buckets: Map<number, T[]>, hash: number, item: T): void {
  const bucket = buckets.get(hash);
  if (!bucket) return;
  const i = bucket.indexOf(item);
  if (i >= 0) bucket.splice(i, 1);
  if (bucket.length === 0) buckets.delete(hash);
}

export class ServerIndex {
  /** hash → the first entry of its chain. */
  private readonly buckets = new Map<number, ServerEntry>();
  private readonly order = new Fifo<ServerEntry>();
  /** Entries dropped for the size bound before their time was up (the memory is too small). */
  forgotten = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.order.length;
  }

  /** Remembers a SERVER span (once: the same span again, e.g. a client's retry, is ignored). */
  remember(e: ServerEntry): void {
    const head = this.buckets.get(e.hash);
    for (let x = head; x !== undefined; x = x.next) if (x.s0 === e.s0 && x.s1 === e.s1 && x.nodeId === e.nodeId) return;
    e.next = head;
    this.buckets.set(e.hash, e);
    this.order.push(e);
    while (this.order.length > this.capacity) {
      this.drop(this.order.shift()!);
      this.forgotten++;
    }
  }

  /** Forgets the SERVER spans whose time is up. */
  expire(now: number): void {
    for (let e = this.order.peek(); e !== undefined && e.expiresAt <= now; e = this.order.peek()) this.drop(this.order.shift()!);
  }

  /**
   * The SERVER span a healed span of `key` started at `startNs` belongs under: the latest-started
   * one that was running then; with `orLatestBefore`, failing that, the latest one started before
   * it (an application that calls out after answering). Undefined when none fits.
   */
  find(key: RequestKey, startNs: number, orLatestBefore: boolean): ServerEntry | undefined {
    let containing: ServerEntry | undefined;
    let before: ServerEntry | undefined;
    for (let e = this.buckets.get(key.hash); e !== undefined; e = e.next) {
      if (!serverMatches(e, key) || e.startNs > startNs) continue;
      if (serverContains(e, startNs)) {
        if (!containing || e.startNs > containing.startNs) containing = e;
      } else if (!before || e.startNs > before.startNs) {
        before = e;
      }
    }
    return containing ?? (orLatestBefore ? before : undefined);
  }

  clear(): void {
    this.buckets.clear();
    this.order.clear();
  }

  private drop(e: ServerEntry): void {
    unlink(this.buckets, e);
  }
}

/** An entry of a hash-chained map: buckets hold the first entry of each hash, entries link on. */
interface Chained<T> {
  hash: number;
  next: T | undefined;
}

/** Takes `e` out of its bucket's chain. */
export function unlink<T extends Chained<T>>(buckets: Map<number, T>, e: T): void {
  let prev: T | undefined;
  for (let x = buckets.get(e.hash); x !== undefined; prev = x, x = x.next) {
    if (x !== e) continue;
    if (prev) prev.next = x.next;
    else if (x.next) buckets.set(e.hash, x.next);
    else buckets.delete(e.hash);
    return;
  }
}

export class PendingSpans {
  private readonly buckets = new Map<number, PendingEntry[]>();
  private readonly order = new LiveFifo<PendingEntry>();
  private count = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.count;
  }

  /** Holds a healed span; returns the oldest ones beyond the bound, taken out (to pass on unchanged). */
  hold(e: PendingEntry): PendingEntry[] {
    this.add(e);
    const evicted: PendingEntry[] = [];
    while (this.count > this.capacity) {
      const oldest = this.order.shiftLive();
      if (!oldest) break;
      this.take(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }

  /** Takes out the held spans that a newly seen SERVER span is the parent of. */
  takeFor(server: ServerEntry): PendingEntry[] {
    const bucket = this.buckets.get(server.hash);
    if (!bucket) return [];
    const out: PendingEntry[] = [];
    for (const e of bucket) {
      if (sameRequest(server, e.nodeId, e.requestId, e.span.traceId) && serverContains(server, e.startNs)) {
        out.push(e);
      }
    }
    for (const e of out) this.take(e);
    return out;
  }

  /** Takes out the held spans whose wait is over. */
  takeExpired(now: number): PendingEntry[] {
    const out: PendingEntry[] = [];
    for (let e = this.order.peekLive(); e !== undefined && e.expiresAt <= now; e = this.order.peekLive()) {
      this.order.shift();
      this.take(e);
      out.push(e);
    }
    return out;
  }

  /** Takes out everything (shutdown). */
  takeAll(): PendingEntry[] {
    const out: PendingEntry[] = [];
    for (let e = this.order.shift(); e !== undefined; e = this.order.shift()) {
      if (e.removed) continue;
      this.take(e);
      out.push(e);
    }
    return out;
  }

  /**
   * Puts back spans taken out for a hand-off that failed, without applying the bound: they were
   * held within it before, so the count only returns to what it was.
   */
  restore(entries: readonly PendingEntry[]): void {
    for (const e of entries) if (e.removed) this.add(e);
  }

  /** Forgets held spans (their sender will resend them, or has lost them with an error it was told of). */
  forget(entries: readonly PendingEntry[]): void {
    for (const e of entries) if (!e.removed) this.take(e);
  }

  private add(e: PendingEntry): void {
    e.removed = false;
    const bucket = this.buckets.get(e.hash);
    if (bucket) bucket.push(e);
    else this.buckets.set(e.hash, [e]);
    this.order.push(e);
    this.count++;
  }

  private take(e: PendingEntry): void {
    e.removed = true;
    this.count--;
    removeFrom(this.buckets, e.hash, e);
  }
}

function sameTrace(t: Uint8Array, e: ServerEntry): boolean {
  return t.length === 16 && e.t0 === word(t, 0) && e.t1 === word(t, 4) && e.t2 === word(t, 8) && e.t3 === word(t, 12);
}
