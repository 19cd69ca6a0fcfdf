import { describe, expect, it } from 'vitest';
import type { Span } from '../../pdata/model.js';
import { PendingSpans, ServerIndex, serverEntry, type PendingEntry, type RequestKey } from './memory.js';
import { requestKeyHash } from './request-key.js';

const TRACE = Buffer.from('5a3f8c1e9b2d4f7a0c6e1b3d5f7a9c2e', 'hex');
const NODE = 'sidecar~10.244.0.25~productpage-v1-6f89b6c557-sg2bc.bookinfo~bookinfo.svc.cluster.local';

function key(requestId: string, traceId = TRACE, nodeId = NODE): RequestKey {
  return { hash: requestKeyHash(requestId), traceId, nodeId, requestId };
}

function server(k: RequestKey, id: Uint8Array, startNs: number, endNs: number, expiresAt: number) {
  return serverEntry(k.hash, k.traceId, k.nodeId, k.requestId, id, startNs, endNs, expiresAt);
}

const spanId = (n: number): Buffer => Buffer.from(n.toString(16).padStart(16, '0'), 'hex');

function pending(requestId: string, startNs: number, expiresAt: number, n = 1): PendingEntry {
  const k = key(requestId);
  const span = { traceId: Buffer.from(TRACE), spanId: spanId(n), name: 'x', kind: 3, startTimeUnixNano: startNs, endTimeUnixNano: startNs + 1, attributes: [] } as Span;
  return { hash: k.hash, nodeId: NODE, requestId, startNs, expiresAt, span, resource: null, resourceSchemaUrl: undefined, scope: null, scopeSchemaUrl: undefined, fallback: undefined, removed: false };
}

describe('ServerIndex', () => {
  it('a UUID request ID matches across traces (Envoy started the healed span in a trace of its own); any other only in the same trace', () => {
    const uuid = '7c1f0a9e-4b7d-9a51-8d2e-0b6f3c2a1d90';
    const idx = new ServerIndex(10);
    idx.remember(server(key(uuid), spanId(1), 100, 200, 1000));
    idx.remember(server(key('not-a-uuid'), spanId(2), 100, 200, 1000));
    const otherTrace = Buffer.from(TRACE);
    otherTrace[0] ^= 0xff;
    expect(idx.find(key('7c1f0a9e-4b7d-4a51-8d2e-0b6f3c2a1d90', otherTrace), 150, false)?.s1).toBe(1);
    expect(idx.find(key('not-a-uuid', otherTrace), 150, true)).toBeUndefined();
    expect(idx.find(key('not-a-uuid'), 150, false)?.s1).toBe(2);
    expect(idx.find(key(uuid, otherTrace, 'sidecar~other'), 150, true)).toBeUndefined();
  });

  it('finds the latest SERVER span running when the healed span started; optionally the latest started before it', () => {
    const idx = new ServerIndex(10);
    idx.remember(server(key('r'), spanId(1), 100, 200, 1000)); // running at 150
    idx.remember(server(key('r'), spanId(2), 120, 300, 1000)); // running at 150, later start
    idx.remember(server(key('r'), spanId(3), 160, 170, 1000)); // starts after 150
    idx.remember(server(key('r'), spanId(4), 10, 20, 1000)); // over before 150
    expect(idx.find(key('r'), 150, false)?.s1).toBe(2);
    expect(idx.find(key('r'), 50, false)).toBeUndefined();
    expect(idx.find(key('r'), 50, true)?.s1).toBe(4);
    expect(idx.find(key('other'), 150, true)).toBeUndefined();
    expect(idx.find(key('r', TRACE, 'sidecar~other'), 150, true)).toBeUndefined();
    const otherTrace = Buffer.from(TRACE);
    otherTrace[0] ^= 0xff;
    expect(idx.find(key('r', otherTrace), 150, true)).toBeUndefined();
  });

  it('expires in arrival order and stays within its bound', () => {
    const idx = new ServerIndex(3);
    for (let i = 1; i <= 5; i++) idx.remember(server(key(`r${i}`), spanId(i), 0, 10, i * 100));
    expect(idx.size).toBe(3);
    expect(idx.forgotten).toBe(2);
    expect(idx.find(key('r1'), 5, false)).toBeUndefined();
    idx.expire(400);
    expect(idx.size).toBe(1);
    expect(idx.find(key('r5'), 5, false)?.s1).toBe(5);
  });

  it('stays bounded over a long run (the order compacts itself)', () => {
    const idx = new ServerIndex(100);
    for (let i = 0; i < 20_000; i++) {
      idx.remember(server(key(`r${i}`), spanId(i + 1), 0, 10, i));
      idx.expire(i - 50);
    }
    expect(idx.size).toBeLessThanOrEqual(100);
  });
});

describe('PendingSpans', () => {
  it('hands out the oldest beyond its bound, by arrival', () => {
    const p = new PendingSpans(2);
    expect(p.hold(pending('a', 0, 10, 1))).toEqual([]);
    expect(p.hold(pending('b', 0, 10, 2))).toEqual([]);
    const evicted = p.hold(pending('c', 0, 10, 3));
    expect(evicted.map((e) => e.requestId)).toEqual(['a']);
    expect(p.size).toBe(2);
  });

  it('takeFor gives the spans of the same request started while the SERVER span ran', () => {
    const p = new PendingSpans(10);
    p.hold(pending('r', 150, 10, 1));
    p.hold(pending('r', 400, 10, 2)); // after the SERVER span ended
    p.hold(pending('q', 150, 10, 3)); // another request
    const taken = p.takeFor(server(key('r'), spanId(9), 100, 300, 99));
    expect(taken.map((e) => e.startNs)).toEqual([150]);
    expect(p.size).toBe(2);
  });

  it('takeExpired skips spans already taken; restore puts back, forget removes, takeAll empties', () => {
    const p = new PendingSpans(10);
    const a = pending('a', 0, 10, 1);
    const b = pending('b', 0, 20, 2);
    const c = pending('c', 0, 30, 3);
    for (const e of [a, b, c]) p.hold(e);
    p.forget([a]);
    expect(p.takeExpired(25).map((e) => e.requestId)).toEqual(['b']);
    p.restore([b]);
    expect(p.size).toBe(2);
    expect(p.takeAll().map((e) => e.requestId).sort()).toEqual(['b', 'c']);
    expect(p.size).toBe(0);
    expect(p.takeExpired(1000)).toEqual([]);
  });
});
