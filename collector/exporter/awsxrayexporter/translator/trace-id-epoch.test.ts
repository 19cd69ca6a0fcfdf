import { describe, expect, it } from 'vitest';
import { EpochResolver, type EpochStore } from '../traceid/epoch-resolver.js';
import { NOW_MS, NOW_SEC, resource, span, traces } from '../testdata/build.js';
import { XRAY_MAX_DOCUMENT_BYTES } from './fit.js';
import { DocumentWriter, documentJson } from './document-writer.js';
import { setTraceIdEpoch, translateTraceData } from './translate.js';

describe('setTraceIdEpoch (epoch settled after the document was written)', () => {
  const doc = (name: string) => {
    const w = new DocumentWriter();
    w.write({ name, id: '0000000000000001', trace_id: '1-5759e988-bd862e3fe1be46a994272793', start_time: 1, end_time: 2 });
    return w.take();
  };

  it.each([
    ['a plain document', 'checkout'],
    ['a name that contains the key text', 'x","trace_id":"1-00000000-'],
    ['a name that contains the escaped key text', 'x\\",\\"trace_id\\":\\"1-00000000-'],
    ['a name with quotes and backslashes', 'a\\"b\\\\"c'],
  ])('%s: only the trace_id epoch changes', (_n, name) => {
    const data = doc(name);
    const size = data.length;
    setTraceIdEpoch(data, 0x6a0b1c2d);
    expect(data.length).toBe(size);
    const parsed = JSON.parse(documentJson(data));
    expect(parsed.trace_id).toBe('1-6a0b1c2d-bd862e3fe1be46a994272793');
    expect(parsed.name).toBe(name);
  });

  it('pads small epochs to 8 hex digits', () => {
    const data = doc('n');
    setTraceIdEpoch(data, 0x1f);
    expect(JSON.parse(documentJson(data)).trace_id).toBe('1-0000001f-bd862e3fe1be46a994272793');
  });

  it('refuses a document without trace_id', () => {
    const w = new DocumentWriter();
    w.write({ name: 'x' });
    expect(() => setTraceIdEpoch(w.take(), 1)).toThrow(/trace_id/);
  });
});

describe('EpochResolver.resolveLocal + settle (translation at enqueue, store at send)', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const td = () => traces(resource(), [span({ traceId: TRACE, spanId: '00f067aa0ba902b7', startSec: NOW_SEC - 10 })]);
  const opts = (epochs: ReadonlyMap<string, number>) => ({
    mode: 'rewrite' as const, epochs, windowSec: 3600, nowSec: NOW_SEC, indexedAttributes: new Set<string>(),
    indexAllAttributes: false, meshAnnotations: true, maxDocumentBytes: XRAY_MAX_DOCUMENT_BYTES,
  });

  it('without a store: nothing pending, the candidate is final and cached', () => {
    const r = new EpochResolver({ mode: 'rewrite', windowSec: 3600, cacheMax: 10, cacheTtlMs: 60_000, now: () => NOW_MS });
    const { epochs, pending } = r.resolveLocal(td());
    expect(pending).toEqual([]);
    expect(epochs.get(TRACE)).toBeGreaterThan(0);
    expect(r.cacheSize).toBe(1);
  });

  it('with a store: the miss is pending with its candidate; settle takes the store’s epoch, and patching gives the same document as translating with it', async () => {
    const stored = 0x6a000001;
    const claims: Array<readonly [string, number]>[] = [];
    const store: EpochStore = {
      claim: async (entries) => (claims.push([...entries]), entries.map(() => stored)),
      close: async () => {},
    };
    const r = new EpochResolver({ mode: 'rewrite', windowSec: 3600, cacheMax: 10, cacheTtlMs: 60_000, store, now: () => NOW_MS });
    const { epochs, pending } = r.resolveLocal(td());
    expect(pending).toEqual([[TRACE, epochs.get(TRACE)]]);
    expect(r.cacheSize).toBe(0);
    const early = translateTraceData(td(), opts(epochs)).documents[0].data;
    const settled = await r.settle(pending);
    expect(settled.get(TRACE)).toBe(stored);
    expect(claims.length).toBe(1);
    const direct = translateTraceData(td(), opts(new Map([[TRACE, stored]]))).documents[0].data;
    setTraceIdEpoch(early, stored);
    expect(early.equals(direct)).toBe(true);
    // Settled once: a second batch of the trace is a cache hit, nothing pending, no round trip.
    expect(r.resolveLocal(td()).pending).toEqual([]);
    expect(await r.settle(pending)).toEqual(new Map([[TRACE, stored]]));
    expect(claims.length).toBe(1);
  });
});
