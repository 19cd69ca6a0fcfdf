/**
 * The two spans of Istio's sleep → httpbin request, rebuilt from a real ADOT awsxrayexporter
 * v0.90 capture (zirain/playground, MIT; kept in the shared reference as
 * xray/real-envoy-xray-output/istio-adot-awsxrayexporter.batchgettraces.json). The span tags are
 * exactly the ones that landed in that output's metadata, plus the HTTP tags upstream consumed
 * (http.url, http.method and Envoy's *string* http.status_code — upstream turned it into 0).
 */
import { SpanKind } from '../../../pdata/model.js';
import { resource, span, traces } from './build.js';

export const ISTIO_TRACE_ID = '71f86e637c9ad592296688596eea6ee8';
export const ISTIO_CLIENT_SPAN = 'cf77a1e7d50cfad8';
export const ISTIO_SERVER_SPAN = '17adc8f2065d73ce';
/** A clock a few seconds after the capture. */
export const ISTIO_NOW_MS = 1707149440_000;

export function istioSleepToHttpbin() {
  const common = {
    component: 'proxy',
    'downstream_cluster': '-',
    'http.protocol': 'HTTP/1.1',
    'istio.mesh_id': 'cluster.local',
    'istio.namespace': 'default',
    'peer.address': '192.168.82.49',
    'request_size': '0',
    'response_flags': '-',
    'response_size': '533',
    'user_agent': 'curl/8.6.0',
    'zone': 'us-east-2c',
    'guid:x-request-id': '36f189be-0e4c-9187-acb5-b7dfdb552328',
    'http.url': 'http://httpbin:8000/get',
    'http.method': 'GET',
    'http.status_code': '200',
  };
  const client = span({
    traceId: ISTIO_TRACE_ID,
    spanId: ISTIO_CLIENT_SPAN,
    name: 'egress httpbin:8000',
    kind: SpanKind.CLIENT,
    startSec: 1707149433.975948,
    endSec: 1707149433.9784808,
    attributes: {
      ...common,
      'istio.canonical_revision': 'latest',
      'istio.canonical_service': 'sleep',
      node_id: 'sidecar~192.168.82.49~sleep-58f5c6b977-tbpz6.default~default.svc.cluster.local',
      upstream_cluster: 'outbound|8000||httpbin.default.svc.cluster.local',
      'upstream_cluster.name': 'outbound|8000||httpbin.default.svc.cluster.local',
    },
  });
  const server = span({
    traceId: ISTIO_TRACE_ID,
    spanId: ISTIO_SERVER_SPAN,
    parentSpanId: ISTIO_CLIENT_SPAN,
    name: 'httpbin:8000/*',
    kind: SpanKind.SERVER,
    startSec: 1707149433.9763231,
    endSec: 1707149433.978102,
    attributes: {
      ...common,
      'istio.canonical_revision': 'v1',
      'istio.canonical_service': 'httpbin',
      node_id: 'sidecar~192.168.65.79~httpbin-86869bccff-5dd9m.default~default.svc.cluster.local',
      upstream_cluster: 'inbound|80||',
      'upstream_cluster.name': 'inbound|80||',
    },
  });
  return {
    client: traces(resource({ 'service.name': 'sleep.default' }), [client]),
    server: traces(resource({ 'service.name': 'httpbin.default' }), [server]),
  };
}
