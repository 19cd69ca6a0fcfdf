/**
 * Realistic Istio sidecar requests for the leak test and benchmarks: ~15 headers with a valid
 * traceparent, alternating inbound / outbound listeners with Istio's properties.
 */
import type { RequestInput } from './host.js';

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0').slice(-len);

export function realisticRequest(i: number): RequestInput {
  const inbound = i % 2 === 0;
  return {
    properties: {
      'xds.listener_direction': inbound ? 1n : 2n,
      'xds.cluster_name': inbound ? 'inbound|9080||' : 'outbound|9080||reviews.default.svc.cluster.local',
      'xds.node': {
        id: 'sidecar~10.0.0.5~productpage-v1-abc.default~default.svc.cluster.local',
        metadata: { NAME: 'productpage-v1-abc', NAMESPACE: 'default', MESH_ID: 'cluster.local', CLUSTER_ID: 'Kubernetes' },
      },
      'request.id': `req-${i}`,
    },
    requestHeaders: [
      [':authority', 'reviews:9080'], [':path', `/reviews/${i % 97}`], [':method', 'GET'], [':scheme', 'http'],
      ['user-agent', 'python-requests/2.31.0'], ['accept', '*/*'], ['accept-encoding', 'gzip, deflate'],
      ['x-request-id', `0f3c${hex(i, 4)}-1111-4222-8333-444455556666`],
      ['traceparent', `00-${hex(i * 7919 + 1, 32)}-${hex(i * 104729 + 1, 16)}-01`], ['tracestate', 'vendor=abc,other=x'],
      ['x-forwarded-proto', 'http'], ['x-envoy-attempt-count', '1'], ['content-length', '0'],
      ['x-forwarded-client-cert', 'By=spiffe://cluster.local/ns/default/sa/bookinfo-reviews;Hash=abc;Subject="";URI=spiffe://cluster.local/ns/default/sa/bookinfo-productpage'],
      ['x-envoy-peer-metadata-id', 'sidecar~10.0.0.5~productpage-v1-abc.default~default.svc.cluster.local'],
    ],
    responseHeaders: [[':status', '200'], ['content-type', 'application/json'], ['content-length', String(300 + (i % 50))], ['server', 'istio-envoy']],
  };
}
