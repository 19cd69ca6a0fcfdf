/**
 * X-Ray translation of Istio ambient waypoint spans, after the istio processor (the order of the
 * shipped pipelines): Kiali's whole Bookinfo ambient trace (test/fixtures/ambient), in every
 * provider shape, becomes a connected set of segments, one per destination service and named
 * after it, with the caller and the waypoint as annotations.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { TraceData } from '../../../pdata/model.js';
import { AMBIENT_SHAPES, SPAN } from '../../../../test/fixtures/ambient/load.js';
import { defaultIstioProcessorConfig } from '../../../processor/istioprocessor/config.js';
import { IstioProcessor } from '../../../processor/istioprocessor/processor.js';
import { NOW_SEC } from '../testdata/build.js';
import { XRAY_MAX_DOCUMENT_BYTES } from './fit.js';
import type { SegmentDocument } from './segment.js';
import { translateTraceData } from './translate.js';
import { documentJson } from './document-writer.js';

const here = dirname(fileURLToPath(import.meta.url));
const { $schema: _s, ...schema } = JSON.parse(readFileSync(join(here, '../testdata/segment-document.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const OPTS = {
  mode: 'rewrite' as const, windowSec: 3600, nowSec: NOW_SEC, indexedAttributes: new Set<string>(),
  indexAllAttributes: false, meshAnnotations: true, maxDocumentBytes: XRAY_MAX_DOCUMENT_BYTES,
};

function processed(td: TraceData): TraceData {
  new IstioProcessor(defaultIstioProcessorConfig(), { consumeTraces: async () => {} }).process(td);
  return td;
}

function documents(td: TraceData): Map<string, SegmentDocument> {
  const r = translateTraceData(td, OPTS);
  expect(r.dropped.size).toBe(0);
  const docs = new Map<string, SegmentDocument>();
  for (const d of r.documents) {
    const doc = JSON.parse(documentJson(d.data)) as SegmentDocument;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    docs.set(doc.id, doc);
  }
  return docs;
}

describe.each(AMBIENT_SHAPES)('$label', (shape) => {
  const docs = documents(processed(shape.model()));

  it('one segment per destination service, named after it; the gateway keeps its own', () => {
    const segments = [...docs.values()].filter((d) => d.type === undefined);
    expect(Object.fromEntries(segments.map((d) => [d.id, d.name]))).toEqual({
      [SPAN.toGateway]: 'bookinfo-gateway-istio.bookinfo',
      [SPAN.gateway]: 'bookinfo-gateway-istio.bookinfo',
      [SPAN.toDetails]: 'details.bookinfo',
      [SPAN.toReviews]: 'reviews.bookinfo',
    });
    for (const id of [SPAN.toGateway, SPAN.toDetails, SPAN.toReviews]) {
      expect(docs.get(id)!.annotations?.meshtrace_waypoint, id).toBe('waypoint.bookinfo');
      expect(docs.get(id)!.annotations?.meshtrace_direction, id).toBe('inbound');
    }
  });

  it('the caller is an annotation when Istio names it (1.29), never the segment\'s name', () => {
    for (const id of [SPAN.toDetails, SPAN.toReviews]) {
      const a = docs.get(id)!.annotations!;
      if (shape.peerTags) {
        expect(a).toMatchObject({ meshtrace_source: 'productpage.bookinfo', istio_source_workload: 'productpage-v1', istio_source_namespace: 'bookinfo' });
      } else {
        expect(a.meshtrace_source).toBeUndefined();
      }
    }
    // The gateway service's caller was outside the mesh: Envoy's `-` is kept as the tag's value, no source.
    expect(docs.get(SPAN.toGateway)!.annotations?.meshtrace_source).toBeUndefined();
  });

  it('the whole trace is one connected set: one root, every parent_id a document of the set, one trace ID', () => {
    const all = [...docs.values()];
    expect(new Set(all.map((d) => d.trace_id)).size).toBe(1);
    const roots = all.filter((d) => d.parent_id === undefined);
    expect(roots.map((d) => d.id)).toEqual([SPAN.toGateway]);
    for (const d of all) if (d.parent_id !== undefined) expect(docs.has(d.parent_id), `${d.id} → ${d.parent_id}`).toBe(true);
    // Walking up from every document reaches the root without a cycle.
    for (const d of all) {
      const seen = new Set<string>();
      let cur: SegmentDocument | undefined = d;
      while (cur?.parent_id !== undefined) {
        expect(seen.has(cur.id)).toBe(false);
        seen.add(cur.id);
        cur = docs.get(cur.parent_id);
      }
      expect(cur?.id).toBe(SPAN.toGateway);
    }
    expect(all.length).toBe(shape.peerTags ? 6 : 4);
  });

  it(shape.peerTags ? 'the synthesized caller spans are remote subsegments naming the destination' : 'no subsegments', () => {
    const subs = [...docs.values()].filter((d) => d.type === 'subsegment');
    if (!shape.peerTags) {
      expect(subs).toEqual([]);
      return;
    }
    expect(subs.map((d) => d.name).sort()).toEqual(['details.bookinfo', 'reviews.bookinfo']);
    for (const d of subs) {
      expect(d.namespace).toBe('remote');
      expect(d.parent_id).toBe(SPAN.gateway);
    }
    expect(docs.get(SPAN.toDetails)!.parent_id).toBe(subs.find((d) => d.name === 'details.bookinfo')!.id);
  });
});

it('without the istio processor every waypoint span would be one node called after the waypoint', () => {
  const docs = documents(AMBIENT_SHAPES[0]!.model());
  expect(new Set([SPAN.toGateway, SPAN.toDetails, SPAN.toReviews].map((id) => docs.get(id)!.name))).toEqual(new Set(['waypoint.bookinfo']));
});
