import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisTestServer, type RedisTestServer } from '../../../../scripts/redis-test-server.js';
import type { TraceData } from '../../../pdata/model.js';
import { NOW_MS, NOW_SEC, hex, resource, span, traces } from '../testdata/build.js';
import { EpochResolver, type EpochStore } from './epoch-resolver.js';
import { traceIdHash, windowEpoch } from './epoch.js';
import { RedisEpochStore } from './redis-epoch-store.js';

const W = 3600;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const T = hex(TRACE);
const offset = traceIdHash(T) % W;
/** A window boundary of TRACE shortly before NOW. */
const BOUNDARY = Math.floor((NOW_SEC - 600 - offset) / W) * W + offset;

function clock(startMs = NOW_MS) {
  let now = startMs;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function resolver(o: { store?: EpochStore; now?: () => number; max?: number; ttlMs?: number; onStoreFallback?: (e: unknown, n: number) => void } = {}) {
  return new EpochResolver({
    mode: 'rewrite',
    windowSec: W,
    cacheMax: o.max ?? 1000,
    cacheTtlMs: o.ttlMs ?? 300_000,
    store: o.store,
    now: o.now ?? (() => NOW_MS),
    onStoreFallback: o.onStoreFallback,
  });
}

/** One span of TRACE starting at `startSec`. */
function at(startSec: number, traceId = TRACE, spanId = '00f067aa0ba902b7'): TraceData {
  return traces(resource(), [span({ traceId, spanId, startSec })]);
}

describe('EpochResolver without a store', () => {
  it('precondition: the boundary is one of the trace’s own window boundaries', () => {
    expect(windowEpoch(T, BOUNDARY - 1, W)).toBe(BOUNDARY - W);
    expect(windowEpoch(T, BOUNDARY + 1, W)).toBe(BOUNDARY);
    expect(BOUNDARY).toBeLessThan(NOW_SEC);
  });

  it('spans of one trace arriving out of order get the epoch of the first one seen', () => {
    const r = resolver();
    const child = r.resolveSync(at(BOUNDARY + 2)); // the later span arrives first
    const root = r.resolveSync(at(BOUNDARY - 2)); // its parent, from the previous window, after
    expect(child.get(TRACE)).toBe(BOUNDARY);
    expect(root.get(TRACE)).toBe(BOUNDARY);
  });

  it('keeps IDs with a plausible epoch out of the lookup', () => {
    const r = resolver();
    const good = Math.floor(NOW_SEC - 30).toString(16) + 'a3ce929d0e0e4736abcdef01';
    expect(r.resolveSync(at(NOW_SEC - 30, good)).size).toBe(0);
    expect(r.cacheSize).toBe(0);
  });

  it('passthrough resolves nothing', () => {
    const r = new EpochResolver({ mode: 'passthrough', windowSec: W, cacheMax: 10, cacheTtlMs: 1000 });
    expect(r.resolveSync(at(NOW_SEC)).size).toBe(0);
  });

  it('one batch with several spans of a trace: one epoch, from its first span', () => {
    const r = resolver();
    const td = traces(resource(), [span({ traceId: TRACE, startSec: BOUNDARY - 1 }), span({ traceId: TRACE, spanId: 'b7ad6b7169203331', startSec: BOUNDARY + 1 })]);
    expect(r.resolveSync(td).get(TRACE)).toBe(BOUNDARY - W);
  });

  it('TTL is refreshed on every hit, and a trace idle past the TTL is forgotten', () => {
    const c = clock();
    const r = resolver({ now: c.now, ttlMs: 300_000 });
    expect(r.resolveSync(at(BOUNDARY - 1)).get(TRACE)).toBe(BOUNDARY - W);
    c.advance(240_000);
    expect(r.resolveSync(at(BOUNDARY + 1)).get(TRACE)).toBe(BOUNDARY - W); // hit: age reset
    c.advance(240_000); // 480 s after the first span, 240 s after the last hit: still cached
    expect(r.resolveSync(at(BOUNDARY + 2)).get(TRACE)).toBe(BOUNDARY - W);
    c.advance(300_001); // idle longer than the TTL: expired
    expect(r.resolveSync(at(BOUNDARY + 3)).get(TRACE)).toBe(BOUNDARY);
  });

  it('across TTL expiry a trace that does not straddle its boundary keeps its epoch', () => {
    const c = clock();
    const r = resolver({ now: c.now, ttlMs: 60_000 });
    const first = r.resolveSync(at(BOUNDARY + 100)).get(TRACE);
    c.advance(120_000);
    expect(r.resolveSync(at(BOUNDARY + 200)).get(TRACE)).toBe(first);
  });

  it('64-bit IDs are padded: all spans of such a trace share one rewritten epoch', () => {
    const r = resolver();
    const short = 'a3ce929d0e0e4736';
    const first = r.resolveSync(at(NOW_SEC - 100, short)).get('0000000000000000' + short);
    const second = r.resolveSync(at(NOW_SEC - 50, short, 'b7ad6b7169203331')).get('0000000000000000' + short);
    expect(first).toBeDefined();
    expect(second).toBe(first);
    expect(first).toBe(windowEpoch(hex('0000000000000000' + short), NOW_SEC - 100, W));
  });

  it('the cache is bounded', () => {
    const r = resolver({ max: 3 });
    for (let i = 0; i < 10; i++) r.resolveSync(at(NOW_SEC - 5, `${i.toString(16).padStart(2, '0')}f92f3577b34da6a3ce929d0e0e4736`));
    expect(r.cacheSize).toBe(3);
  });

  it('two instances agree without a store when the trace stays inside its window', () => {
    const a = resolver();
    const b = resolver();
    expect(a.resolveSync(at(BOUNDARY + 10)).get(TRACE)).toBe(b.resolveSync(at(BOUNDARY + 500)).get(TRACE));
  });

  it('two instances disagree without a store when the trace straddles its boundary (the d/W case)', () => {
    const a = resolver();
    const b = resolver();
    expect(a.resolveSync(at(BOUNDARY - 1)).get(TRACE)).not.toBe(b.resolveSync(at(BOUNDARY + 1)).get(TRACE));
  });
});

describe('EpochResolver with a real Redis', () => {
  let redis: RedisTestServer;
  const stores: RedisEpochStore[] = [];
  const newStore = async (url = redis.url, timeoutMs = 200) => {
    const s = new RedisEpochStore({ url, ttlSec: 60, timeoutMs });
    stores.push(s);
    await s.waitReady(3000);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedisTestServer(); // fails with an install hint when redis-server is missing
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });

  it('two instances agree even when the trace straddles its boundary: first writer wins', async () => {
    const a = resolver({ store: await newStore() });
    const b = resolver({ store: await newStore() });
    const trace = 'aa' + TRACE.slice(2);
    const off = traceIdHash(hex(trace)) % W;
    const boundary = Math.floor((NOW_SEC - 600 - off) / W) * W + off;
    const first = await a.resolve(at(boundary - 1, trace));
    const second = await b.resolve(at(boundary + 1, trace));
    expect(first.get(trace)).toBe(boundary - W);
    expect(second.get(trace)).toBe(boundary - W);
  });

  it('concurrent first spans at two instances still agree', async () => {
    const a = resolver({ store: await newStore() });
    const b = resolver({ store: await newStore() });
    const ids = Array.from({ length: 50 }, (_, i) => i.toString(16).padStart(4, '0') + 'c92f3577b34da6a3ce929d0e0e47');
    const tdA = traces(resource(), ids.map((id, i) => span({ traceId: id, spanId: (i + 1).toString(16).padStart(16, '0'), startSec: NOW_SEC - 3000 + i * 60 })));
    const tdB = traces(resource(), ids.map((id, i) => span({ traceId: id, spanId: (i + 100).toString(16).padStart(16, '0'), startSec: NOW_SEC - 3000 + i * 60 + 59 })));
    const [ra, rb] = await Promise.all([a.resolve(tdA), b.resolve(tdB)]);
    for (const id of ids) expect(rb.get(id), id).toBe(ra.get(id));
  });

  it('an instance restarted later (empty cache) reads the stored epoch', async () => {
    const a = resolver({ store: await newStore() });
    const trace = 'bb' + TRACE.slice(2);
    const e1 = (await a.resolve(at(NOW_SEC - 100, trace))).get(trace);
    const fresh = resolver({ store: await newStore() });
    const e2 = (await fresh.resolve(at(NOW_SEC + 4000 - 100, trace))).get(trace);
    expect(e2).toBe(e1);
  });

  it('Redis unreachable: deterministic epochs, counted, never blocking', async () => {
    let fallbacks = 0;
    const dead = new RedisEpochStore({ url: 'redis://127.0.0.1:1', ttlSec: 60, timeoutMs: 100 });
    stores.push(dead);
    const r = resolver({ store: dead, onStoreFallback: (_e, n) => (fallbacks += n) });
    const out = await r.resolve(at(BOUNDARY + 5));
    expect(out.get(TRACE)).toBe(BOUNDARY);
    expect(fallbacks).toBe(1);
  });

  it('Redis hung (SIGSTOP): the command timeout falls back to the rule', async () => {
    let fallbacks = 0;
    const store = await newStore(redis.url, 100);
    const r = resolver({ store, onStoreFallback: (_e, n) => (fallbacks += n) });
    const trace = 'cc' + TRACE.slice(2);
    redis.pause();
    try {
      const out = await r.resolve(at(NOW_SEC - 50, trace));
      expect(out.get(trace)).toBe(windowEpoch(hex(trace), NOW_SEC - 50, W));
      expect(fallbacks).toBe(1);
    } finally {
      redis.resume();
    }
  });

  it('keys expire (SET … NX EX ttl): nothing stays in Redis for good', async () => {
    const store = await newStore();
    const trace = 'ee' + TRACE.slice(2);
    await resolver({ store }).resolve(at(NOW_SEC - 50, trace));
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    try {
      const ttl = await raw.ttl(`meshtrace:xray-epoch:${trace}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
      expect(Number(await raw.get(`meshtrace:xray-epoch:${trace}`))).toBe(windowEpoch(hex(trace), NOW_SEC - 50, W));
    } finally {
      await raw.quit();
    }
  });

  it('a garbage value under the key is ignored', async () => {
    const store = await newStore();
    const trace = 'dd' + TRACE.slice(2);
    // Another program wrote something that is no epoch under our key.
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    await raw.set(`meshtrace:xray-epoch:${trace}`, 'not-a-number');
    await raw.quit();
    const out = await resolver({ store }).resolve(at(NOW_SEC - 50, trace));
    expect(out.get(trace)).toBe(windowEpoch(hex(trace), NOW_SEC - 50, W));
  });
});
