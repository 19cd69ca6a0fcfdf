/**
 * The Envoy-shaped OTLP requests of the export benchmarks (bench:export, the X-Ray OTLP route
 * bench): 16 ExportTraceServiceRequests of 100 Istio sidecar spans × 21 string tags (~91 KB
 * each), as Envoy's OpenTelemetry tracer reports them, starting now.
 */
import crypto from 'node:crypto';
import type { KeyValue, Span, TraceData } from '../collector/pdata/model.js';
import { encodeTraceRequest } from '../collector/pdata/otlp-proto.js';

export const SPANS_PER_REQUEST = 100;

const str = (key: string, v: string): KeyValue => ({ key, value: { stringValue: v } });

function envoySpan(app: string, i: number, t0: number): Span {
  const inbound = i % 3 === 0;
  const cluster = inbound ? 'inbound|9080||' : `outbound|9080||${app === 'reviews' ? 'ratings' : 'reviews'}.bookinfo.svc.cluster.local`;
  const status = i % 17 === 0 ? '503' : '200';
  const start = t0 + i * 1_000_000;
  return {
    traceId: crypto.randomBytes(16),
    spanId: crypto.randomBytes(8),
    parentSpanId: i % 4 === 0 ? new Uint8Array(0) : crypto.randomBytes(8),
    name: `${app}.bookinfo.svc.cluster.local:9080/*`,
    kind: 3,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 2_500_000,
    attributes: [
      str('node_id', `sidecar~10.244.0.23~${app}-v1-6f89b6c557-sg2bc.bookinfo~bookinfo.svc.cluster.local`),
      str('zone', 'eu-west-1a'),
      str('guid:x-request-id', crypto.randomUUID()),
      str('http.url', `http://${app}:9080/api/v1/items/${i}`),
      str('http.method', i % 5 === 0 ? 'POST' : 'GET'),
      str('http.protocol', 'HTTP/1.1'),
      str('downstream_cluster', '-'),
      str('user_agent', 'Go-http-client/1.1'),
      str('request_size', String(i % 7 === 0 ? 512 : 0)),
      str('response_size', String(1000 + i * 13)),
      str('component', 'proxy'),
      str('upstream_cluster', cluster),
      str('upstream_cluster.name', cluster),
      str('http.status_code', status),
      str('response_flags', status === '503' ? 'UF' : '-'),
      str('peer.address', '10.244.0.14'),
      str('istio.canonical_service', app),
      str('istio.canonical_revision', 'v1'),
      str('istio.mesh_id', 'cluster.local'),
      str('istio.namespace', 'bookinfo'),
      str('istio.cluster_id', 'Kubernetes'),
    ],
    status: status === '503' ? { code: 2 } : {},
  };
}

/** 16 encoded requests of four services (productpage, reviews, ratings, details). */
export function envoyRequests(): Buffer[] {
  const t0 = Date.now() * 1_000_000;
  return Array.from({ length: 16 }, (_, r) => {
    const app = ['productpage', 'reviews', 'ratings', 'details'][r % 4]!;
    const td: TraceData = {
      resourceSpans: [{ resource: { attributes: [str('service.name', `${app}.bookinfo`)] }, scopeSpans: [{ scope: { name: 'envoy' }, spans: Array.from({ length: SPANS_PER_REQUEST }, (_, i) => envoySpan(app, i, t0)) }] }],
    };
    return Buffer.from(encodeTraceRequest(td));
  });
}
