import { describe, expect, it } from 'vitest';
import { NOW_MS, NOW_SEC, resource, span, traces } from '../testdata/build.js';
import { createDocumentTranslator, traceDataOf, translateTraceData } from './translate.js';
import { XRAY_MAX_DOCUMENT_BYTES } from './fit.js';

describe('translateTraceData', () => {
  const td = {
    resourceSpans: [
      { resource: resource({ 'service.name': 'a' }), scopeSpans: [{ scope: { name: 's1' }, spans: [span({ spanId: '0000000000000001' }), span({ spanId: '0000000000000002' })] }] },
      { resource: resource({ 'service.name': 'b' }), scopeSpans: [{ scope: { name: 's2' }, spans: [span({ spanId: '0000000000000003' })] }] },
    ],
  };
  const opts = {
    mode: 'rewrite' as const, windowSec: 3600, nowSec: NOW_SEC, indexedAttributes: new Set<string>(),
    indexAllAttributes: false, meshAnnotations: true, maxDocumentBytes: XRAY_MAX_DOCUMENT_BYTES,
  };

  it('one document per span, each pointing back at its span, resource and scope', () => {
    const r = translateTraceData(td, opts);
    expect(r.documents.map((d) => d.id)).toEqual(['0000000000000001', '0000000000000002', '0000000000000003']);
    expect(r.documents[2].ref.rs).toBe(td.resourceSpans[1]);
    expect(r.documents.every((d) => d.bytes === Buffer.byteLength(d.json))).toBe(true);
  });

  it('traceDataOf rebuilds a TraceData of exactly the given spans under their resources', () => {
    const r = translateTraceData(td, opts);
    const back = traceDataOf([r.documents[2].ref, r.documents[0].ref]);
    expect(back.resourceSpans.length).toBe(2);
    expect(back.resourceSpans[0].resource).toBe(td.resourceSpans[1].resource);
    expect(back.resourceSpans[1].scopeSpans[0].spans.map((s) => Buffer.from(s.spanId).toString('hex'))).toEqual(['0000000000000001']);
    expect(back.resourceSpans[1].scopeSpans[0].scope).toBe(td.resourceSpans[0].scopeSpans[0].scope);
  });
});

describe('createDocumentTranslator (for the benchmark)', () => {
  it('turns a TraceData into PutTraceSegments documents without I/O, one epoch per trace', () => {
    const translate = createDocumentTranslator({ now: () => NOW_MS });
    const docs = translate(traces(resource(), [span({ spanId: '0000000000000001' }), span({ spanId: '0000000000000002', startSec: NOW_SEC - 1 })]));
    expect(docs.length).toBe(2);
    const [a, b] = docs.map((d) => JSON.parse(d));
    expect(a.trace_id).toBe(b.trace_id);
    expect(a.annotations.otel_trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
