/**
 * The istio processor on the Bookinfo ambient trace (test/fixtures/ambient: Kiali's real waypoint
 * spans) in every shape the two Istio tracing providers send, old and new Istio: every shape ends
 * the same, waypoint spans move to their destination service, the caller becomes a CLIENT span
 * when Istio names it, and sidecar/gateway behaviour is what it was.
 */
import { describe, expect, it } from 'vitest';
import { idToHex, SpanKind, type TraceData } from '../../pdata/model.js';
import { encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { AMBIENT_EXPECTED, AMBIENT_SHAPES, attrsOf, bySpanId, ORIGINAL_PARENT, SPAN, summary, TRACE_ID } from '../../../test/fixtures/ambient/load.js';
import { defaultIstioProcessorConfig, type IstioProcessorConfig } from './config.js';
import { IstioProcessor, SYNTHESIZED_SCOPE } from './processor.js';
import { synthesizedClientSpanId } from './waypoint.js';

function run(td: TraceData, overrides: Partial<IstioProcessorConfig> = {}): TraceData {
  new IstioProcessor({ ...defaultIstioProcessorConfig(), ...overrides }, { consumeTraces: async () => {} }).process(td);
  return td;
}

const synthesizedId = (waypointSpan: string): string => idToHex(synthesizedClientSpanId(Buffer.from(waypointSpan, 'hex')));

describe.each(AMBIENT_SHAPES)('$label', (shape) => {
  it('every span gets its destination service, kind SERVER, direction inbound and the waypoint name', () => {
    const found = bySpanId(run(shape.model()));
    for (const [id, want] of Object.entries(AMBIENT_EXPECTED)) {
      const got = found.get(id);
      expect(got, id).toBeDefined();
      expect(got!.service, `${id} service.name`).toBe(want.service);
      expect(got!.span.kind, `${id} kind`).toBe(want.kind);
      expect(idToHex(got!.span.traceId)).toBe(TRACE_ID);
      const a = attrsOf(got!.span);
      for (const [k, v] of Object.entries(want.attrs)) expect(a[k], `${id} ${k}`).toEqual(v);
      expect(a['meshtrace.source'], `${id} meshtrace.source`).toBe(shape.peerTags ? want.source : undefined);
      // Envoy's own tags are left as they were.
      expect(a.node_id).toBeDefined();
      expect(a.upstream_cluster).toBeDefined();
    }
  });

  it(shape.peerTags
    ? 'the known caller (productpage) gets a CLIENT span between the gateway and each waypoint span'
    : 'without the caller\'s identity no span is added and the parents stay as Envoy sent them', () => {
    const found = bySpanId(run(shape.model()));
    const added = [...found.values()].filter((f) => f.scope === SYNTHESIZED_SCOPE.name);
    if (!shape.peerTags) {
      expect(added).toEqual([]);
      for (const [id, parent] of Object.entries(ORIGINAL_PARENT)) expect(idToHex(found.get(id)!.span.parentSpanId), id).toBe(parent);
      return;
    }
    expect(added.map((f) => idToHex(f.span.spanId)).sort()).toEqual([synthesizedId(SPAN.toDetails), synthesizedId(SPAN.toReviews)].sort());
    for (const [waypointSpan, destination] of [[SPAN.toDetails, 'details.bookinfo'], [SPAN.toReviews, 'reviews.bookinfo']] as const) {
      const server = found.get(waypointSpan)!.span;
      const client = found.get(synthesizedId(waypointSpan))!;
      expect(idToHex(server.parentSpanId)).toBe(idToHex(client.span.spanId));
      expect(idToHex(client.span.parentSpanId)).toBe(SPAN.gateway);
      expect(client.service).toBe('productpage.bookinfo');
      expect(client.span.kind).toBe(SpanKind.CLIENT);
      expect(client.span.name).toBe(server.name);
      expect(client.span.startTimeUnixNano).toEqual(server.startTimeUnixNano);
      expect(client.span.endTimeUnixNano).toEqual(server.endTimeUnixNano);
      expect(idToHex(client.span.traceId)).toBe(TRACE_ID);
      expect(attrsOf(client.span)).toEqual({
        'http.method': 'GET',
        response_flags: '-',
        'peer.service': destination,
        'meshtrace.direction': 'outbound',
        'meshtrace.synthesized': true,
        'meshtrace.waypoint': 'waypoint.bookinfo',
      });
    }
    // The caller of the gateway service is outside the mesh (`-`): nothing is synthesized for it.
    expect(idToHex(found.get(SPAN.toGateway)!.span.parentSpanId)).toBe('');
    expect(idToHex(found.get(SPAN.gateway)!.span.parentSpanId)).toBe(SPAN.toGateway);
  });

  it('is idempotent: a second pass (a retry, a second collector tier) changes nothing', () => {
    const once = run(shape.model());
    const bytes = Buffer.from(encodeTraceRequest(once));
    const twice = run(once);
    expect(summary(twice)).toEqual(summary(run(shape.model())));
    expect(Buffer.from(encodeTraceRequest(twice)).equals(bytes)).toBe(true);
  });

  it('waypoint_client_spans: false adds no span and keeps the parents; the rest is unchanged', () => {
    const td = run(shape.model(), { waypoint_client_spans: false });
    const found = bySpanId(td);
    expect(found.size).toBe(4);
    for (const [id, parent] of Object.entries(ORIGINAL_PARENT)) expect(idToHex(found.get(id)!.span.parentSpanId), id).toBe(parent);
    for (const [id, want] of Object.entries(AMBIENT_EXPECTED)) expect(found.get(id)!.service, id).toBe(want.service);
  });

  it('waypoint_destination_service: false leaves the waypoint spans where the tracer put them', () => {
    const before = bySpanId(shape.model());
    const after = bySpanId(run(shape.model(), { waypoint_destination_service: false, waypoint_client_spans: false }));
    for (const id of [SPAN.toGateway, SPAN.toDetails, SPAN.toReviews]) {
      expect(after.get(id)!.service, id).toBe(before.get(id)!.service);
      expect(after.get(id)!.span.kind).toBe(SpanKind.SERVER);
      expect(attrsOf(after.get(id)!.span)['meshtrace.waypoint']).toBeUndefined();
    }
  });
});

describe('every shape ends the same', () => {
  const withoutTags = AMBIENT_SHAPES.filter((s) => !s.peerTags).map((s) => summary(run(s.model())));
  const withTags = AMBIENT_SHAPES.filter((s) => s.peerTags).map((s) => summary(run(s.model())));

  it('Zipkin and OpenTelemetry tracers, before Istio 1.29', () => {
    for (const s of withoutTags.slice(1)) expect(s).toEqual(withoutTags[0]);
  });

  it('Zipkin and OpenTelemetry tracers, Istio 1.29', () => {
    for (const s of withTags.slice(1)) expect(s).toEqual(withTags[0]);
  });

  it('Istio 1.29 adds the caller and its CLIENT spans, and changes nothing else', () => {
    const older = withoutTags[0] as Record<string, Record<string, unknown>>;
    const newer = withTags[0] as Record<string, Record<string, unknown>>;
    for (const [id, view] of Object.entries(older)) {
      const n = newer[id]!;
      expect({ ...n, source: undefined, parent: undefined }, id).toEqual({ ...view, source: undefined, parent: undefined });
    }
    expect(Object.keys(newer).length).toBe(Object.keys(older).length + 2);
  });
});

describe('sidecar and gateway spans in the same request as waypoint spans', () => {
  it('a sidecar outbound span and a waypoint span of one resource are each handled by their own rule', () => {
    const td = AMBIENT_SHAPES[3]!.model();
    // A sidecar client (mixed mesh: productpage with a sidecar calling through the waypoint).
    td.resourceSpans.push({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'productpage.bookinfo' } }] },
      scopeSpans: [{
        spans: [{
          traceId: Buffer.from(TRACE_ID, 'hex'), spanId: Buffer.from('1111111111111111', 'hex'), parentSpanId: Buffer.from(SPAN.gateway, 'hex'),
          name: 'reviews.bookinfo.svc.cluster.local:9080/*', kind: SpanKind.CLIENT, startTimeUnixNano: 1, endTimeUnixNano: 2,
          attributes: [
            { key: 'node_id', value: { stringValue: 'sidecar~10.244.0.30~productpage-v1-7d4f8b7b4f-x2x9k.bookinfo~bookinfo.svc.cluster.local' } },
            { key: 'upstream_cluster', value: { stringValue: 'outbound|9080||reviews.bookinfo.svc.cluster.local' } },
          ],
        }],
      }],
    });
    const found = bySpanId(run(td));
    const sidecar = found.get('1111111111111111')!;
    expect(sidecar.service).toBe('productpage.bookinfo');
    expect(sidecar.span.kind).toBe(SpanKind.CLIENT);
    expect(attrsOf(sidecar.span)['peer.service']).toBe('reviews');
    expect(attrsOf(sidecar.span)['meshtrace.waypoint']).toBeUndefined();
    expect(found.get(SPAN.toReviews)!.service).toBe('reviews.bookinfo');
  });
});
