import Long from 'long';
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type Resource, type Span } from '../../../pdata/model.js';
import { NOW_SEC, SPAN_1, SPAN_2, TRACE_A, dbl, hex, resource, span } from '../testdata/build.js';
import { ISTIO_NOW_MS, istioSleepToHttpbin } from '../testdata/istio-httpbin.js';
import { formatXrayTraceId, windowEpoch } from '../traceid/epoch.js';
import { callerSegmentId, makeSegment, makeSegments, type SegmentDocument, type SegmentOptions } from './segment.js';
import { translateTraceData } from './translate.js';
import { documentJson } from './document-writer.js';
import { XRAY_MAX_DOCUMENT_BYTES } from './fit.js';
import { traces } from '../testdata/build.js';

const baseOpts: SegmentOptions = {
  mode: 'rewrite',
  windowSec: 3600,
  nowSec: NOW_SEC,
  indexedAttributes: new Set(),
  indexAllAttributes: false,
  meshAnnotations: true,
};

function seg(s: Span, res: Resource | null = resource(), opts: Partial<SegmentOptions> = {}): SegmentDocument {
  const r = makeSegment(s, res, { ...baseOpts, ...opts });
  if (!r.ok) throw new Error(`unexpected drop: ${r.reason}`);
  return r.doc;
}

// A trace ID whose first 32 bits are a plausible epoch at NOW (kept as is).
const EPOCH_NOW_HEX = Math.floor(NOW_SEC - 60).toString(16);
const XRAY_STYLE_TRACE = EPOCH_NOW_HEX + 'a3ce929d0e0e4736abcdef01';

interface Case {
  name: string;
  span: Span;
  res?: Resource | null;
  opts?: Partial<SegmentOptions>;
  /** Fields that must equal (deep) in the document; `undefined` means absent. */
  expect: Partial<Record<keyof SegmentDocument, unknown>>;
  /** Paths into the document: 'http.response.status' etc. */
  at?: Record<string, unknown>;
}

const cases: Case[] = [
  // ---- segment vs subsegment, namespace ------------------------------------------------
  { name: 'root SERVER span is a segment named after service.name', span: span({ kind: SpanKind.SERVER }), expect: { name: 'svc', type: undefined, namespace: undefined, parent_id: undefined } },
  { name: 'SERVER span with a parent stays a segment with parent_id', span: span({ kind: SpanKind.SERVER, parentSpanId: SPAN_2 }), expect: { type: undefined, parent_id: SPAN_2 } },
  { name: 'CLIENT span with a parent is a remote subsegment', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'GET' }), expect: { type: 'subsegment', namespace: 'remote', parent_id: SPAN_2, name: 'GET' } },
  { name: 'INTERNAL span with a parent is a local subsegment', span: span({ kind: SpanKind.INTERNAL, parentSpanId: SPAN_2, name: 'work' }), expect: { type: 'subsegment', namespace: undefined } },
  { name: 'PRODUCER subsegment is remote (upstream: only with aws.remote.service)', span: span({ kind: SpanKind.PRODUCER, parentSpanId: SPAN_2, name: 'send' }), expect: { type: 'subsegment', namespace: 'remote' } },
  { name: 'CONSUMER subsegment without aws.remote.service has no namespace', span: span({ kind: SpanKind.CONSUMER, parentSpanId: SPAN_2, name: 'receive' }), expect: { type: 'subsegment', namespace: undefined } },
  { name: 'CONSUMER subsegment with aws.remote.service is remote and named after it', span: span({ kind: SpanKind.CONSUMER, parentSpanId: SPAN_2, name: 'ABC.payment', attributes: { 'aws.remote.service': 'ConsumerService' } }), expect: { type: 'subsegment', namespace: 'remote', name: 'ConsumerService' } },
  { name: 'an all-zero parent ID means no parent', span: span({ kind: SpanKind.INTERNAL, parentSpanId: '0000000000000000', name: 'c' }), expect: { type: undefined, parent_id: undefined } },
  { name: 'a root INTERNAL span is a segment named after the span', span: span({ kind: SpanKind.INTERNAL, name: 'cron tick' }), expect: { type: undefined, namespace: undefined, name: 'cron tick' } },
  { name: 'UNSPECIFIED kind with a parent is a subsegment', span: span({ kind: SpanKind.UNSPECIFIED, parentSpanId: SPAN_2, name: 'x' }), expect: { type: 'subsegment' } },

  // ---- names -------------------------------------------------------------------------------
  { name: 'peer.service wins over everything', span: span({ kind: SpanKind.SERVER, attributes: { 'peer.service': 'billing', 'rpc.service': 'r' } }), expect: { name: 'billing' } },
  { name: 'service.name is not used for CLIENT spans', span: span({ kind: SpanKind.CLIENT, name: 'HTTP GET' }), expect: { name: 'HTTP GET' } },
  { name: 'rpc.service for a client', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { 'rpc.service': 'helloworld.Greeter' } }), expect: { name: 'helloworld.Greeter' } },
  { name: 'http.host before net.peer.name', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { 'http.host': 'api.example.com', 'net.peer.name': 'peer' } }), expect: { name: 'api.example.com' } },
  { name: 'net.peer.name', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { 'net.peer.name': 'peer.local' } }), expect: { name: 'peer.local' } },
  { name: 'server.address (current semconv) for clients', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { 'server.address': 'new.example' } }), expect: { name: 'new.example' } },
  { name: 'db.name@host from the connection string', span: span({ kind: SpanKind.CLIENT, attributes: { 'db.name': 'orders', 'db.connection_string': 'postgres://db.internal:5432/orders' } }), expect: { name: 'orders@db.internal' } },
  { name: 'db.name alone when the connection string is no URL', span: span({ kind: SpanKind.CLIENT, attributes: { 'db.name': 'orders', 'db.connection_string': 'Server=x;' } }), expect: { name: 'orders' } },
  { name: 'aws.service names the segment and sets namespace aws', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'aws.service': 'DynamoDB' } }), expect: { name: 'DynamoDB', namespace: 'aws' } },
  { name: 'rpc.system aws-api sets namespace aws', span: span({ kind: SpanKind.CLIENT, name: 'S3.GetObject', attributes: { 'rpc.system': 'aws-api', 'rpc.method': 'GetObject' } }), expect: { namespace: 'aws', aws: { operation: 'GetObject' } } },
  { name: 'Istio outbound cluster names a sidecar CLIENT span', span: span({ kind: SpanKind.CLIENT, name: 'egress reviews:9080', attributes: { upstream_cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local' } }), expect: { name: 'reviews.default.svc.cluster.local' } },
  { name: 'an inbound cluster does not name the span', span: span({ kind: SpanKind.CLIENT, name: 'in', attributes: { upstream_cluster: 'inbound|9080||' } }), expect: { name: 'in' } },
  { name: 'outbound cluster without subset', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { upstream_cluster: 'outbound|8000||httpbin.default.svc.cluster.local' } }), expect: { name: 'httpbin.default.svc.cluster.local' } },
  { name: 'outbound cluster found by upstream_cluster.name (Istio 1.22+)', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { 'upstream_cluster.name': 'outbound|80||a.b' } }), expect: { name: 'a.b' } },
  { name: 'outbound cluster with an empty host does not name the span', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { upstream_cluster: 'outbound|9080||' } }), expect: { name: 'x' } },
  { name: 'outbound cluster of five parts does not name the span', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { upstream_cluster: 'outbound|9080|v1|a.b|c' } }), expect: { name: 'x' } },
  { name: 'outbound cluster of three parts does not name the span', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { upstream_cluster: 'outbound|9080|a.b' } }), expect: { name: 'x' } },
  { name: 'outbound cluster of two parts does not name the span', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { upstream_cluster: 'outbound|a.b' } }), expect: { name: 'x' } },
  { name: 'a cluster that only starts like one does not name the span', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { upstream_cluster: 'outbound-x|1||a.b' } }), expect: { name: 'x' } },
  { name: 'a long outbound cluster (not memoised) names the span the same way', span: span({ kind: SpanKind.CLIENT, name: 'x', attributes: { upstream_cluster: `outbound|80||${'h'.repeat(300)}.svc` } }), expect: { name: `${'h'.repeat(300)}.svc`.slice(0, 200) } },
  { name: 'invalid characters are removed from names', span: span({ kind: SpanKind.CLIENT, name: 'GET /api?x=1|y*' }), expect: { name: 'GET /apix=1y' } },
  { name: 'peer.service is sanitised too (upstream is not)', span: span({ attributes: { 'peer.service': 'a|b<c>' } }), expect: { name: 'abc' } },
  { name: 'unicode letters are kept', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'café 日本' }), expect: { name: 'café 日本' } },
  { name: 'letters AWS’s schema does not list are removed: Unicode 9+ (U+08B6) and outside the BMP', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'a\u08b6b𝒜c😀d' }), expect: { name: 'abcd' } },
  { name: 'upstream TestFixSegmentName: valid name kept', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'EP @ test_15.testing-d\u00F6main.org#GO' }), expect: { name: 'EP @ test_15.testing-d\u00F6main.org#GO' } },
  { name: 'upstream TestFixSegmentName: <subDomain>.example.com', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: '<subDomain>.example.com' }), expect: { name: 'subDomain.example.com' } },
  { name: 'aws.local.service names a SERVER span (TestServerSpanWithAwsLocalServiceName)', span: span({ kind: SpanKind.SERVER, attributes: { 'rpc.service': 'ABC', 'aws.local.service': 'PaymentLocalService', 'aws.remote.service': 'PaymentService' } }), expect: { name: 'PaymentLocalService' } },
  { name: 'aws.remote.service names a CLIENT span (TestClientSpanWithAwsRemoteServiceName)', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'http.host': 'payment.amazonaws.com', 'rpc.service': 'ABC', 'aws.remote.service': 'PaymentService' } }), expect: { name: 'PaymentService', type: 'subsegment' } },
  { name: 'aws.remote.service names a PRODUCER span', span: span({ kind: SpanKind.PRODUCER, parentSpanId: SPAN_2, attributes: { 'aws.remote.service': 'ProducerService' } }), expect: { name: 'ProducerService' } },
  { name: 'AWS.SDK. prefix trimmed on AWS SDK spans (TestAwsSdkSpanWithDeprecatedAwsRemoteServiceName)', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'DynamoDB.PutItem', attributes: { 'rpc.system': 'aws-api', 'rpc.service': 'DynamoDb', 'aws.remote.service': 'AWS.SDK.DynamoDb' } }), expect: { name: 'DynamoDb' } },
  { name: 'AWS:: prefix trimmed on AWS SDK spans (TestAwsSdkSpanWithAwsRemoteServiceName)', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'rpc.system': 'aws-api', 'aws.remote.service': 'AWS::DynamoDB' } }), expect: { name: 'DynamoDB', namespace: 'aws' } },
  { name: 'AWS:: prefix kept when the span is no AWS SDK call', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'aws.remote.service': 'AWS::DynamoDB' } }), expect: { name: 'AWS::DynamoDB', namespace: 'remote' } },
  { name: 'http.host names a client before net.peer.name (TestClientSpanWithHttpHost)', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'GET /', attributes: { 'http.method': 'GET', 'net.peer.ip': '2607:f8b0:4000:80c::2004', 'http.host': 'foo.com', 'net.peer.name': 'bar.com' } }), expect: { name: 'foo.com' } },
  { name: 'rpc.service before the hosts (TestClientSpanWithRpcHost)', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'http.method': 'GET', 'rpc.service': 'com.foo.AnimalService', 'net.peer.name': 'bar.com' } }), expect: { name: 'com.foo.AnimalService' } },
  { name: 'db.name@host from a jdbc: connection string', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'db.name': 'orders', 'db.connection_string': 'jdbc:mysql://db.dev.example.com:3306' } }), expect: { name: 'orders@db.dev.example.com' } },
  { name: 'a name with no valid character becomes "span"', span: span({ kind: SpanKind.CLIENT, name: '***' }), expect: { name: 'span' } },
  { name: 'an empty name becomes "span"', span: span({ kind: SpanKind.CLIENT, name: '' }), expect: { name: 'span' } },
  { name: 'names are cut to 200 characters', span: span({ kind: SpanKind.CLIENT, name: 'n'.repeat(300) }), expect: { name: 'n'.repeat(200) } },
  { name: 'SERVER without resource falls back to the span name', span: span({ kind: SpanKind.SERVER, name: 'handler' }), res: null, expect: { name: 'handler' } },

  // ---- http block and status ------------------------------------------------------------------
  { name: "Envoy's string status code is a number", span: span({ attributes: { 'http.method': 'GET', 'http.status_code': '503' } }), expect: { fault: true, error: false, throttle: false }, at: { 'http.response.status': 503, 'http.request.method': 'GET' } },
  { name: '404 sets error', span: span({ attributes: { 'http.status_code': 404 } }), expect: { error: true, fault: false, throttle: false } },
  { name: '429 sets error and throttle', span: span({ attributes: { 'http.status_code': 429 } }), expect: { error: true, throttle: true, fault: false } },
  { name: '500 sets fault', span: span({ attributes: { 'http.response.status_code': 500 } }), expect: { fault: true, error: false } },
  { name: '200 with ERROR status is a fault', span: span({ attributes: { 'http.status_code': 200 }, status: { code: StatusCode.ERROR } }), expect: { fault: true, error: false } },
  { name: '404 with ERROR status stays an error (HTTP wins)', span: span({ attributes: { 'http.status_code': 404 }, status: { code: StatusCode.ERROR } }), expect: { error: true, fault: false } },
  { name: 'no HTTP, OK status: all false, no http block', span: span({ status: { code: StatusCode.OK } }), expect: { fault: false, error: false, throttle: false, http: undefined } },
  { name: 'status as a whole double', span: span({ attributes: { 'http.status_code': dbl(502) } }), expect: { fault: true }, at: { 'http.response.status': 502 } },
  { name: 'an unreadable status stays in metadata', span: span({ attributes: { 'http.method': 'GET', 'http.status_code': 'abc' } }), expect: { fault: false }, at: { 'http.response': undefined, 'metadata.default.http\\.status_code': 'abc' } },
  { name: 'a negative status is no HTTP status', span: span({ attributes: { 'http.method': 'GET', 'http.status_code': -1 } }), expect: { error: false, fault: false }, at: { 'http.response': undefined, 'metadata.default.http\\.status_code': -1 } },
  { name: 'a status above 999 is no HTTP status', span: span({ attributes: { 'http.method': 'GET', 'http.status_code': '1000' } }), expect: {}, at: { 'http.response': undefined } },
  { name: 'full URL (old semconv)', span: span({ attributes: { 'http.url': 'https://x.example/a?b=1' } }), expect: {}, at: { 'http.request.url': 'https://x.example/a?b=1' } },
  { name: 'url.full and http.request.method (current semconv)', span: span({ attributes: { 'url.full': 'http://y/z', 'http.request.method': 'POST' } }), expect: {}, at: { 'http.request.url': 'http://y/z', 'http.request.method': 'POST' } },
  { name: 'server URL assembled from scheme, host and target', span: span({ attributes: { 'http.scheme': 'https', 'http.host': 'shop.example', 'http.target': '/cart' } }), expect: {}, at: { 'http.request.url': 'https://shop.example/cart' } },
  { name: 'server URL from server_name and a non-default port', span: span({ attributes: { 'http.method': 'GET', 'http.server_name': 'srv', 'net.host.port': 8080 } }), expect: {}, at: { 'http.request.url': 'http://srv:8080/' } },
  { name: 'client URL from peer name and port, default port dropped', span: span({ kind: SpanKind.CLIENT, name: 'c', attributes: { 'http.method': 'GET', 'http.scheme': 'https', 'net.peer.name': 'p', 'net.peer.port': 443, 'http.target': '/t' } }), expect: {}, at: { 'http.request.url': 'https://p/t' } },
  { name: 'client URL from url.path and url.query', span: span({ kind: SpanKind.CLIENT, name: 'c', attributes: { 'http.request.method': 'GET', 'net.peer.name': 'p', 'url.path': '/a', 'url.query': 'q=1' } }), expect: {}, at: { 'http.request.url': 'http://p/a?q=1' } },
  { name: 'URLs are cut to the schema limit of 250', span: span({ attributes: { 'http.url': 'http://h/' + 'a'.repeat(400) } }), expect: {}, at: { 'http.request.url': 'http://h/' + 'a'.repeat(241) } },
  { name: 'http.client_ip sets x_forwarded_for', span: span({ attributes: { 'http.method': 'GET', 'http.client_ip': '203.0.113.9' } }), expect: {}, at: { 'http.request.client_ip': '203.0.113.9', 'http.request.x_forwarded_for': true } },
  { name: 'net.peer.ip is the client IP otherwise', span: span({ attributes: { 'http.method': 'GET', 'net.peer.ip': '10.0.0.7' } }), expect: {}, at: { 'http.request.client_ip': '10.0.0.7', 'http.request.x_forwarded_for': undefined } },
  { name: "Envoy's user_agent, response_size and peer.address fill the http block and stay in metadata", span: span({ attributes: { 'http.method': 'GET', user_agent: 'curl/8', response_size: '533', 'peer.address': '10.1.2.3' } }), expect: {}, at: { 'http.request.user_agent': 'curl/8', 'http.response.content_length': 533, 'http.request.client_ip': '10.1.2.3', 'metadata.default.user_agent': 'curl/8' } },
  { name: 'peer.address is not a client IP on CLIENT spans', span: span({ kind: SpanKind.CLIENT, name: 'c', attributes: { 'http.method': 'GET', 'peer.address': '10.1.2.3' } }), expect: {}, at: { 'http.request.client_ip': undefined } },
  { name: 'content length from http.response.body.size', span: span({ attributes: { 'http.method': 'GET', 'http.response.body.size': 42 } }), expect: {}, at: { 'http.response.content_length': 42 } },
  { name: 'net.* without any HTTP attribute stay in metadata', span: span({ attributes: { 'net.peer.name': 'db', 'net.peer.port': 5432 } }), expect: { http: undefined }, at: { 'metadata.default.net\\.peer\\.port': 5432 } },

  // ---- cause ---------------------------------------------------------------------------
  {
    name: 'exception event becomes a cause with stack frames, remote on CLIENT',
    span: span({
      kind: SpanKind.CLIENT,
      name: 'c',
      status: { code: StatusCode.ERROR },
      events: [{ name: 'exception', timeUnixNano: 0, attributes: [
        { key: 'exception.type', value: { stringValue: 'TypeError' } },
        { key: 'exception.message', value: { stringValue: 'x is undefined' } },
        { key: 'exception.stacktrace', value: { stringValue: 'TypeError: x is undefined\n    at handle (/app/server.js:10:5)\n    at /app/index.js:3:1' } },
      ] }],
    }),
    expect: { fault: true },
    at: {
      'cause.exceptions.0.type': 'TypeError',
      'cause.exceptions.0.message': 'x is undefined',
      'cause.exceptions.0.remote': true,
      'cause.exceptions.0.stack': [{ path: '/app/server.js', line: 10, label: 'handle' }, { path: '/app/index.js', line: 3 }],
    },
  },
  {
    name: 'telemetry.sdk.language chooses the stack-trace parser (Python: most recent call first)',
    span: span({ events: [{ name: 'exception', timeUnixNano: 0, attributes: [
      { key: 'exception.type', value: { stringValue: 'KeyError' } },
      { key: 'exception.stacktrace', value: { stringValue: 'Traceback (most recent call last):\n  File "/app/a.py", line 4, in main\n    run()\n  File "/app/b.py", line 9, in run\n    d["k"]\nKeyError: \'k\'' } },
    ] }] }),
    res: resource({ 'service.name': 'svc', 'telemetry.sdk.language': 'python' }),
    expect: {},
    at: { 'cause.exceptions.0.stack': [{ path: '/app/b.py', line: 9, label: 'run' }, { path: '/app/a.py', line: 4, label: 'main' }], 'cause.exceptions.0.remote': false, 'cause.exceptions.0.type': 'KeyError' },
  },
  {
    name: 'a Java "Caused by:" chain gives linked exceptions',
    span: span({ events: [{ name: 'exception', timeUnixNano: 0, attributes: [
      { key: 'exception.type', value: { stringValue: 'java.lang.RuntimeException' } },
      { key: 'exception.stacktrace', value: { stringValue: 'java.lang.RuntimeException: x\n\tat a.B.c(B.java:1)\nCaused by: java.io.IOException: disk\n\tat d.E.f(E.java:2)' } },
    ] }] }),
    res: resource({ 'service.name': 'svc', 'telemetry.sdk.language': 'java' }),
    expect: {},
    at: { 'cause.exceptions.1.type': 'java.io.IOException', 'cause.exceptions.1.message': 'disk', 'cause.exceptions.1.stack': [{ path: 'E.java', line: 2, label: 'd.E.f' }] },
  },
  { name: 'ERROR status message becomes the cause', span: span({ status: { code: StatusCode.ERROR, message: 'deadline exceeded' } }), expect: { fault: true }, at: { 'cause.exceptions.0.message': 'deadline exceeded' } },
  { name: 'http.status_text is the cause message when the status has none', span: span({ attributes: { 'http.status_code': 503, 'http.status_text': 'Service Unavailable' }, status: { code: StatusCode.ERROR } }), expect: {}, at: { 'cause.exceptions.0.message': 'Service Unavailable' } },
  { name: 'no cause without ERROR or exception events', span: span({ attributes: { 'http.status_code': 503 } }), expect: { cause: undefined, fault: true } },

  // ---- annotations and metadata -------------------------------------------------------------
  { name: 'otel_trace_id always annotated', span: span(), expect: {}, at: { 'annotations.otel_trace_id': TRACE_A } },
  { name: 'attributes go to metadata.default, resource as otel.resource.*', span: span({ attributes: { 'app.x': 1, 'app.y': 'two' } }), expect: {}, at: { 'metadata.default.app\\.x': 1, 'metadata.default.app\\.y': 'two', 'metadata.default.otel\\.resource\\.service\\.name': 'svc', 'annotations.app_x': undefined } },
  { name: 'subsegments do not repeat the resource', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'c', attributes: { a: 1 } }), expect: {}, at: { 'metadata.default.otel\\.resource\\.service\\.name': undefined } },
  { name: 'indexed_attributes become sanitised annotations', span: span({ attributes: { 'order.id': 'o-1', 'order.total': 9.5, other: 'x' } }), opts: { indexedAttributes: new Set(['order.id', 'order.total']) }, expect: {}, at: { 'annotations.order_id': 'o-1', 'annotations.order_total': 9.5, 'metadata.default.other': 'x', 'metadata.default.order\\.id': undefined } },
  { name: 'an indexed non-primitive stays in metadata', span: span({ attributes: { tags: ['a', 'b'] } }), opts: { indexedAttributes: new Set(['tags']) }, expect: {}, at: { 'annotations.tags': undefined, 'metadata.default.tags': ['a', 'b'] } },
  { name: 'index_all_attributes annotates every primitive, resource included', span: span({ attributes: { 'a.b': true, n: 3, list: [1] } }), opts: { indexAllAttributes: true }, expect: {}, at: { 'annotations.a_b': true, 'annotations.n': 3, 'annotations.otel_resource_service_name': 'svc', 'metadata.default.list': [1] } },
  { name: 'a key colliding after sanitising keeps the first, the other goes to metadata', span: span({ attributes: { 'a.b': 1, a_b: 2 } }), opts: { indexAllAttributes: true }, expect: {}, at: { 'annotations.a_b': 1, 'metadata.default.a_b': 2 } },
  { name: 'indexed resource key with the otel.resource. prefix', span: span(), res: resource({ 'service.name': 's', 'deployment.environment': 'prod' }), opts: { indexedAttributes: new Set(['otel.resource.deployment.environment']) }, expect: {}, at: { 'annotations.otel_resource_deployment_environment': 'prod' } },
  { name: 'aws.xray.annotations lists keys to index', span: span({ attributes: { 'aws.xray.annotations': ['tenant'], tenant: 'acme' } }), expect: {}, at: { 'annotations.tenant': 'acme', 'metadata.default.aws\\.xray\\.annotations': undefined } },
  { name: 'Istio tags become mesh annotations', span: span({ attributes: { 'istio.canonical_service': 'reviews', 'istio.namespace': 'bookinfo', 'meshtrace.direction': 'inbound', 'meshtrace.kind': 'server', upstream_cluster: 'inbound|9080||' } }), expect: {}, at: { 'annotations.istio_canonical_service': 'reviews', 'annotations.istio_namespace': 'bookinfo', 'annotations.meshtrace_direction': 'inbound', 'annotations.meshtrace_kind': 'server', 'annotations.upstream_cluster': 'inbound|9080||', 'metadata.default.istio\\.namespace': undefined } },
  { name: 'mesh_annotations false leaves Istio tags in metadata', span: span({ attributes: { 'istio.namespace': 'bookinfo' } }), opts: { meshAnnotations: false }, expect: {}, at: { 'annotations.istio_namespace': undefined, 'metadata.default.istio\\.namespace': 'bookinfo' } },
  { name: 'long annotation strings are cut to 1000', span: span({ attributes: { k: 'v'.repeat(1500) } }), opts: { indexedAttributes: new Set(['k']) }, expect: {}, at: { 'annotations.k': 'v'.repeat(1000) } },
  { name: 'an int64 beyond 2^53 is annotated as its decimal string', span: span({ attributes: { big: Long.fromString('9007199254740993') } }), opts: { indexedAttributes: new Set(['big']) }, expect: {}, at: { 'annotations.big': '9007199254740993' } },
  { name: 'NaN is no annotation and a string in metadata', span: span({ attributes: { x: dbl(NaN) } }), opts: { indexedAttributes: new Set(['x']) }, expect: {}, at: { 'annotations.x': undefined, 'metadata.default.x': 'NaN' } },
  { name: 'bytes are base64 in metadata', span: span({ attributes: { raw: Uint8Array.of(1, 2, 3) } }), expect: {}, at: { 'metadata.default.raw': 'AQID' } },
  {
    name: 'attribute keys like __proto__ and toString are ordinary entries (nothing lost)',
    span: span({ attributes: { __proto__x: 1, toString: 'indexed', constructor: 'meta', ['__proto__']: 'p' } as Record<string, unknown> }),
    opts: { indexedAttributes: new Set(['toString']) },
    expect: {},
    at: { 'annotations.toString': 'indexed', 'metadata.default.constructor': 'meta', 'metadata.default.__proto__': 'p', 'metadata.default.__proto__x': 1 },
  },
  { name: 'enduser.id becomes user', span: span({ attributes: { 'enduser.id': 'alice' } }), expect: { user: 'alice' } },
  { name: 'non-exception events are kept in metadata', span: span({ events: [{ name: 'retry', timeUnixNano: nanos0(), attributes: [{ key: 'n', value: { intValue: 2 } }] }] }), expect: {}, at: { 'metadata.default.otel\\.events.0.name': 'retry', 'metadata.default.otel\\.events.0.attributes.n': 2 } },
  {
    name: 'span links become links with X-Ray trace IDs and their attributes',
    span: span({ links: [{ traceId: hex(XRAY_STYLE_TRACE), spanId: hex(SPAN_2), attributes: [{ key: 'link.kind', value: { stringValue: 'batch' } }] }] }),
    expect: { links: [{ trace_id: `1-${XRAY_STYLE_TRACE.slice(0, 8)}-${XRAY_STYLE_TRACE.slice(8)}`, id: SPAN_2, attributes: { 'link.kind': 'batch' } }] },
    at: { 'metadata.default.otel\\.links': undefined },
  },
  {
    name: 'a link to a random trace ID gets the epoch the exporter gives that trace',
    span: span({ links: [{ traceId: hex(TRACE_A), spanId: hex(SPAN_2) }] }),
    opts: { epochs: new Map([[TRACE_A, 0x6a000002]]) },
    expect: { links: [{ trace_id: `1-6a000002-${TRACE_A.slice(8)}`, id: SPAN_2 }] },
  },
  {
    name: 'a link with invalid IDs stays in metadata (upstream fails the whole span)',
    span: span({ links: [{ traceId: hex('00'.repeat(16)), spanId: hex(SPAN_2) }] }),
    expect: { links: undefined },
    at: { 'metadata.default.otel\\.invalid_links': [{ trace_id: '00'.repeat(16), span_id: SPAN_2 }] },
  },
  { name: 'enduser.id is no user of a subsegment', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'enduser.id': 'alice' } }), expect: { user: undefined }, at: { 'metadata.default.enduser\\.id': undefined } },
  {
    name: 'aws.xray.metadata.<namespace> JSON becomes a metadata namespace; default merges; not JSON stays (TestSpanWithAttributesSegmentMetadata)',
    span: span({ attributes: {
      'attr1@1': 'val1',
      'aws.xray.metadata.default': '{"custom_key": "custom_value"}',
      'aws.xray.metadata.http': '{"connection":{"reused":false,"was_idle":false}}',
      'aws.xray.metadata.non-xray-sdk': 'retain-value',
    } }),
    expect: {},
    at: {
      'metadata.default.attr1@1': 'val1',
      'metadata.default.custom_key': 'custom_value',
      'metadata.http.connection': { reused: false, was_idle: false },
      'metadata.default.aws\\.xray\\.metadata\\.non-xray-sdk': 'retain-value',
      'metadata.default.aws\\.xray\\.metadata\\.default': undefined,
    },
  },
  {
    name: 'an SQL call gets the sql block; its db.* attributes are consumed (TestClientSpanWithDbComponent)',
    span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'call update_user_preference( ?, ?, ? )', attributes: {
      'db.system': 'mysql', 'db.name': 'customers', 'db.statement': 'call update_user_preference( ?, ?, ? )', 'db.user': 'userprefsvc',
      'db.connection_string': 'mysql://db.dev.example.com:3306', 'net.peer.name': 'db.dev.example.com', 'net.peer.port': '3306',
      'enterprise.app.id': '25F2E73B-4769-4C79-9DF3-7EBE85D571EA',
    } }),
    expect: {
      name: 'customers@db.dev.example.com', namespace: 'remote', fault: false, error: false, http: undefined, cause: undefined,
      sql: { url: 'call update_user_preference( ?, ?, ? )', connection_string: 'mysql://db.dev.example.com:3306/customers', database_type: 'mysql', user: 'userprefsvc', sanitized_query: 'call update_user_preference( ?, ?, ? )' },
    },
    at: { 'metadata.default.enterprise\\.app\\.id': '25F2E73B-4769-4C79-9DF3-7EBE85D571EA', 'metadata.default.db\\.statement': undefined, 'annotations.db_name': undefined },
  },
  {
    name: 'current DB conventions count as well; no connection string → localhost',
    span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, name: 'SELECT orders', attributes: { 'db.system.name': 'postgresql', 'db.namespace': 'shop', 'db.query.text': 'SELECT 1' } }),
    expect: { sql: { url: 'SELECT orders', connection_string: 'localhost/shop', database_type: 'postgresql', sanitized_query: 'SELECT 1' } },
  },
  {
    name: 'a non-SQL database gets no sql block and keeps its db.* attributes',
    span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'db.system': 'mongodb', 'db.name': 'users', 'db.statement': '{"find":"users"}' } }),
    expect: { sql: undefined, name: 'users' },
    at: { 'metadata.default.db\\.statement': '{"find":"users"}', 'metadata.default.db\\.system': 'mongodb' },
  },
  { name: 'service.version falls back to container.image.tag', span: span(), res: resource({ 'service.name': 's', 'container.image.tag': 'v1' }), expect: { service: { version: 'v1' } } },
  { name: 'origin and service.version are for segments only', span: span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2 }), res: resource({ 'service.name': 's', 'service.version': '1', 'cloud.provider': 'aws', 'cloud.platform': 'aws_eks' }), expect: { origin: undefined, service: undefined } },

  // ---- origin, aws, service --------------------------------------------------------------------
  { name: 'cloud.platform aws_eks → EKS origin, eks block', span: span(), res: resource({ 'service.name': 's', 'cloud.provider': 'aws', 'cloud.platform': 'aws_eks', 'k8s.cluster.name': 'prod', 'k8s.pod.name': 'p-1' }), expect: { origin: 'AWS::EKS::Container', aws: { eks: { cluster_name: 'prod', pod: 'p-1' } } } },
  { name: 'aws provider with k8s attributes but no platform → EKS', span: span(), res: resource({ 'service.name': 's', 'cloud.provider': 'aws', 'k8s.cluster.name': 'c' }), expect: { origin: 'AWS::EKS::Container' } },
  { name: 'ECS Fargate', span: span(), res: resource({ 'cloud.platform': 'aws_ecs', 'aws.ecs.launchtype': 'fargate' }), expect: { origin: 'AWS::ECS::Fargate' } },
  { name: 'ECS without launch type', span: span(), res: resource({ 'cloud.platform': 'aws_ecs' }), expect: { origin: 'AWS::ECS::Container' } },
  { name: 'EC2 with instance facts', span: span(), res: resource({ 'cloud.provider': 'aws', 'cloud.platform': 'aws_ec2', 'host.id': 'i-1', 'cloud.availability_zone': 'us-east-1a' }), expect: { origin: 'AWS::EC2::Instance', aws: { ec2: { instance_id: 'i-1', availability_zone: 'us-east-1a' } } } },
  { name: 'Elastic Beanstalk', span: span(), res: resource({ 'cloud.platform': 'aws_elastic_beanstalk' }), expect: { origin: 'AWS::ElasticBeanstalk::Environment' } },
  { name: 'App Runner', span: span(), res: resource({ 'cloud.platform': 'aws_app_runner' }), expect: { origin: 'AWS::AppRunner::Service' } },
  { name: 'another cloud: no origin', span: span(), res: resource({ 'cloud.provider': 'gcp', 'cloud.platform': 'gcp_kubernetes_engine', 'k8s.cluster.name': 'c' }), expect: { origin: undefined } },
  { name: 'plain Kubernetes without a provider: no origin', span: span(), res: resource({ 'k8s.cluster.name': 'c' }), expect: { origin: undefined } },
  { name: 'service.version and SDK in segments', span: span(), res: resource({ 'service.name': 's', 'service.version': '1.2.3', 'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.language': 'go', 'telemetry.sdk.version': '1.30.0', 'cloud.account.id': '123456789012' }), expect: { service: { version: '1.2.3' }, aws: { account_id: '123456789012', xray: { sdk: 'opentelemetry for go', sdk_version: '1.30.0' } } } },

  // ---- times -----------------------------------------------------------------------------------
  { name: 'times are float seconds', span: span({ startSec: 1700000000.123456, endSec: 1700000000.5 }), opts: { nowSec: 1700000100 }, expect: { start_time: 1700000000.123456, end_time: 1700000000.5 } },
  { name: 'a missing end time becomes the start time, flagged', span: span({ startSec: 1700000000.25, endSec: 0 }), opts: { nowSec: 1700000100 }, expect: { start_time: 1700000000.25, end_time: 1700000000.25 }, at: { 'metadata.default.meshtrace\\.end_time_missing': true } },

  // ---- trace IDs -----------------------------------------------------------------------------
  { name: 'an ID with a plausible epoch is kept', span: span({ traceId: XRAY_STYLE_TRACE }), expect: { trace_id: `1-${XRAY_STYLE_TRACE.slice(0, 8)}-${XRAY_STYLE_TRACE.slice(8)}` } },
  { name: 'passthrough keeps a random ID as it is', span: span({ traceId: TRACE_A }), opts: { mode: 'passthrough' }, expect: { trace_id: `1-${TRACE_A.slice(0, 8)}-${TRACE_A.slice(8)}` } },
  {
    name: 'a random ID gets the deterministic epoch of its window',
    span: span({ traceId: TRACE_A, startSec: NOW_SEC - 100 }),
    expect: { trace_id: formatXrayTraceId(windowEpoch(hex(TRACE_A), NOW_SEC - 100, 3600), hex(TRACE_A)) },
  },
  { name: 'the resolver’s epoch wins over the rule', span: span({ traceId: TRACE_A }), opts: { epochs: new Map([[TRACE_A, 0x6a000000]]) }, expect: { trace_id: `1-6a000000-${TRACE_A.slice(8)}` } },
  { name: 'a 64-bit ID is padded and rewritten, annotated as sent', span: span({ traceId: 'a3ce929d0e0e4736' }), opts: { epochs: new Map([['0000000000000000a3ce929d0e0e4736', 0x6a000001]]) }, expect: { trace_id: '1-6a000001-00000000a3ce929d0e0e4736' }, at: { 'annotations.otel_trace_id': 'a3ce929d0e0e4736' } },
  { name: 'a 64-bit B3 ID that arrives padded to 16 bytes is annotated as its 16 hex digits (x-b3-traceid)', span: span({ traceId: '0000000000000000a3ce929d0e0e4736' }), expect: {}, at: { 'annotations.otel_trace_id': 'a3ce929d0e0e4736' } },
  { name: 'a 128-bit ID whose second half is zero keeps 32 digits', span: span({ traceId: '4bf92f3577b34da60000000000000000' }), expect: {}, at: { 'annotations.otel_trace_id': '4bf92f3577b34da60000000000000000' } },
];

function nanos0(): Long {
  return Long.fromNumber(1_700_000_000_000_000_000, true);
}

function pick(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, '.'))) {
    if (cur == null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

describe('makeSegment', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const doc = seg(c.span, c.res === undefined ? resource() : c.res, c.opts);
    for (const [k, v] of Object.entries(c.expect)) {
      if (v === undefined) expect(doc, k).not.toHaveProperty(k);
      else if (typeof v === 'object' && v !== null) expect(doc[k as keyof SegmentDocument], k).toMatchObject(v);
      else expect(doc[k as keyof SegmentDocument], k).toEqual(v);
    }
    for (const [p, v] of Object.entries(c.at ?? {})) expect(pick(doc, p), p).toEqual(v);
    // Whatever else, the basics are always right.
    expect(doc.id).toBe(Buffer.from(c.span.spanId).toString('hex'));
    expect(doc.trace_id).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it.each([
    ['a 5-byte trace ID', span({ traceId: '0102030405' }), 'invalid_trace_id'],
    ['an all-zero trace ID', span({ traceId: '00000000000000000000000000000000' }), 'invalid_trace_id'],
    ['an empty trace ID', { ...span(), traceId: new Uint8Array(0) }, 'invalid_trace_id'],
    ['an all-zero span ID', span({ spanId: '0000000000000000' }), 'invalid_span_id'],
    ['a 4-byte span ID', span({ spanId: '01020304' }), 'invalid_span_id'],
  ])('drops %s with a reason', (_n, s, reason) => {
    const r = makeSegment(s as Span, resource(), baseOpts);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.detail.length).toBeGreaterThan(10);
    }
  });

  it('exception IDs are stable across retries (same document twice)', () => {
    const s = span({ status: { code: StatusCode.ERROR, message: 'boom' } });
    expect(JSON.stringify(seg(s))).toBe(JSON.stringify(seg(s)));
    const other = seg(span({ spanId: SPAN_2, status: { code: StatusCode.ERROR, message: 'boom' } }));
    expect(other.cause!.exceptions[0].id).not.toBe(seg(s).cause!.exceptions[0].id);
  });
});

function docs(s: Span, res: Resource | null = resource(), opts: Partial<SegmentOptions> = {}): SegmentDocument[] {
  const r = makeSegments(s, res, { ...baseOpts, ...opts });
  if (!r.ok) throw new Error(`unexpected drop: ${r.reason}`);
  return r.docs;
}

describe('local roots that call out: a segment for the caller, a remote subsegment for the call', () => {
  // Upstream segment_test.go getBasicAttributes / getBasicResource (as facts).
  const basic = (o: Record<string, unknown> = {}) => ({
    'http.method': 'POST',
    'messaging.operation': 'receive',
    'otel.resource.attributes': 'service.name=myTest',
    'aws.span.kind': 'LOCAL_ROOT',
    'aws.remote.service': 'myRemoteService',
    'aws.remote.operation': 'myRemoteOperation',
    remoteTarget: 'myTarget',
    'K8s.RemoteNamespace': 'k8sRemoteNamespace',
    'aws.local.service': 'myLocalService',
    'aws.local.operation': 'awsLocalOperation',
    myAnnotationKey: 'myAnnotationValue',
    'aws.operation': 'UpdateItem',
    'aws.account_id': 'AWSAccountAttribute',
    'aws.region': 'AWSRegionAttribute',
    'aws.request_id': 'AWSRequestIDAttribute',
    'aws.queue_url': 'AWSQueueURLAttribute',
    'aws.table_name': 'TableName',
    ...o,
  });
  const basicResource = resource({ 'service.name': 'signup_aggregator', 'telemetry.sdk.name': 'MySDK', 'telemetry.sdk.version': '1.20.0', 'telemetry.auto.version': '1.2.3' });
  const indexed = { indexedAttributes: new Set(['aws.remote.service', 'myAnnotationKey']) };
  const link = { traceId: hex(TRACE_A), spanId: hex('1122334455667788') };

  function checkSplit(kind: number, linksOnCall: boolean) {
    const s = span({ kind, parentSpanId: SPAN_2, name: 'destination operation', attributes: basic(), links: [link] });
    const [call, caller] = docs(s, basicResource, indexed) as [SegmentDocument, SegmentDocument];
    // The call (upstream validateLocalRootDependencySubsegment).
    expect(call).toMatchObject({ type: 'subsegment', name: 'myRemoteService', id: SPAN_1, parent_id: caller.id, namespace: 'remote', http: { request: { method: 'POST' } } });
    expect(call.trace_id).toBe(caller.trace_id);
    expect(call.annotations).toEqual({ otel_trace_id: TRACE_A, aws_remote_service: 'myRemoteService', myAnnotationKey: 'myAnnotationValue' });
    expect(call.metadata!.default).toEqual({
      'messaging.operation': 'receive', 'aws.span.kind': 'LOCAL_ROOT', 'aws.remote.operation': 'myRemoteOperation', remoteTarget: 'myTarget',
      'K8s.RemoteNamespace': 'k8sRemoteNamespace', 'aws.local.service': 'myLocalService', 'aws.local.operation': 'awsLocalOperation',
      'otel.resource.attributes': 'service.name=myTest',
    });
    expect(call.aws).toEqual({ operation: 'UpdateItem', account_id: 'AWSAccountAttribute', region: 'AWSRegionAttribute', request_id: 'AWSRequestIDAttribute', queue_url: 'AWSQueueURLAttribute', table_name: 'TableName' });
    // The caller (upstream validateLocalRootServiceSegment); it keeps the span's parent.
    expect(caller).toMatchObject({ name: 'myLocalService', parent_id: SPAN_2 });
    expect(caller.type).toBeUndefined();
    expect(caller.namespace).toBeUndefined();
    expect(caller.http).toBeUndefined();
    expect(caller.annotations).toEqual({ otel_trace_id: TRACE_A, myAnnotationKey: 'myAnnotationValue' });
    // A segment: the resource's attributes, none of the span's.
    expect(caller.metadata).toEqual({ default: { 'otel.resource.service.name': 'signup_aggregator', 'otel.resource.telemetry.sdk.name': 'MySDK', 'otel.resource.telemetry.sdk.version': '1.20.0', 'otel.resource.telemetry.auto.version': '1.2.3' } });
    expect(caller.aws).toEqual({ xray: { sdk: 'MySDK', sdk_version: '1.20.0', auto_instrumentation: true } });
    expect([caller.start_time, caller.end_time]).toEqual([call.start_time, call.end_time]);
    expect(call.links?.length ?? 0).toBe(linksOnCall ? 1 : 0);
    expect(caller.links?.length ?? 0).toBe(linksOnCall ? 0 : 1);
  }

  it('LOCAL_ROOT CLIENT (TestLocalRootClient): links stay with the call', () => checkSplit(SpanKind.CLIENT, true));
  it('LOCAL_ROOT PRODUCER (TestLocalRootProducer)', () => checkSplit(SpanKind.PRODUCER, true));
  it('LOCAL_ROOT CONSUMER (TestLocalRootConsumer): the links go to the caller', () => checkSplit(SpanKind.CONSUMER, false));

  it('an AWS SDK local root keeps namespace aws and loses the AWS.SDK. prefix (TestLocalRootClientAwsServiceMetrics)', () => {
    const [call] = docs(span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: basic({ 'rpc.system': 'aws-api', 'rpc.service': 'SQS', 'aws.remote.service': 'AWS.SDK.SQS' }) }), basicResource);
    expect(call).toMatchObject({ type: 'subsegment', name: 'SQS', namespace: 'aws' });
  });

  it('a LOCAL_ROOT SERVER span stays one segment named by aws.local.service (TestLocalRootServer)', () => {
    const d = docs(span({ kind: SpanKind.SERVER, parentSpanId: SPAN_2, attributes: basic() }), basicResource, indexed);
    expect(d.length).toBe(1);
    expect(d[0]).toMatchObject({ name: 'myLocalService', parent_id: SPAN_2, id: SPAN_1, http: { request: { method: 'POST' } } });
    expect(d[0]!.type).toBeUndefined();
    expect(d[0]!.namespace).toBeUndefined();
    expect(d[0]!.annotations).toMatchObject({ aws_remote_service: 'myRemoteService', myAnnotationKey: 'myAnnotationValue' });
  });

  it('a LOCAL_ROOT INTERNAL span with a parent is a segment, not a subsegment (TestLocalRootInternal)', () => {
    const d = docs(span({ kind: SpanKind.INTERNAL, parentSpanId: SPAN_2, attributes: basic() }), basicResource);
    expect(d.length).toBe(1);
    expect(d[0]).toMatchObject({ name: 'myLocalService', parent_id: SPAN_2 });
    expect(d[0]!.type).toBeUndefined();
  });

  it('a CONSUMER with a parent that is no local root stays one subsegment (TestNonLocalRootConsumerProcess)', () => {
    const attributes = basic({ 'aws.span.kind': 'Consumer' });
    delete (attributes as Record<string, unknown>)['aws.remote.service'];
    const d = docs(span({ kind: SpanKind.CONSUMER, parentSpanId: SPAN_2, name: 'destination operation', attributes, links: [link] }), basicResource);
    expect(d.length).toBe(1);
    expect(d[0]).toMatchObject({ type: 'subsegment', name: 'destination operation', id: SPAN_1, aws: { operation: 'UpdateItem' } });
    expect(d[0]!.namespace).toBeUndefined();
    expect(d[0]!.links?.length).toBe(1);
  });

  it.each([
    ['CLIENT', SpanKind.CLIENT],
    ['PRODUCER (upstream: one segment unless LOCAL_ROOT)', SpanKind.PRODUCER],
    ['CONSUMER', SpanKind.CONSUMER],
  ])('a root %s span is split too, the caller named after the service', (_n, kind) => {
    const d = docs(span({ kind, name: 'my-topic send', attributes: { 'peer.service': 'kafka' } }), resource({ 'service.name': 'billing' }));
    expect(d.map((x) => [x.name, x.type, x.namespace, x.parent_id])).toEqual([
      ['kafka', 'subsegment', 'remote', callerSegmentId(hex(SPAN_1))],
      ['billing', undefined, undefined, undefined],
    ]);
  });

  it.each([
    ['an inbound cluster', { upstream_cluster: 'inbound|9080||' }],
    ['an ambient inbound-vip cluster', { upstream_cluster: 'inbound-vip|9080|http|reviews.default.svc.cluster.local' }],
    ['meshtrace.direction inbound', { 'meshtrace.direction': 'inbound' }],
  ])('a root CLIENT span that is an inbound sidecar span (Envoy mislabels some) is not split: %s', (_n, attributes) => {
    expect(docs(span({ kind: SpanKind.CLIENT, attributes })).length).toBe(1);
  });

  it('root SERVER, INTERNAL and UNSPECIFIED spans are never split', () => {
    for (const kind of [SpanKind.SERVER, SpanKind.INTERNAL, SpanKind.UNSPECIFIED]) expect(docs(span({ kind })).length).toBe(1);
  });

  it('the caller\'s ID is derived from the span ID: stable, 16 hex, never the span ID', () => {
    const a = callerSegmentId(hex(SPAN_1));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(callerSegmentId(hex(SPAN_1))).toBe(a);
    expect(a).not.toBe(SPAN_1);
    expect(callerSegmentId(hex(SPAN_2))).not.toBe(a);
    const s = span({ kind: SpanKind.CLIENT, attributes: { 'http.method': 'GET', 'http.status_code': 503 }, status: { code: StatusCode.ERROR, message: 'upstream reset' } });
    expect(JSON.stringify(docs(s))).toBe(JSON.stringify(docs(s)));
  });

  it('both documents carry the failure (upstream); the caller has no http block', () => {
    const [call, caller] = docs(span({ kind: SpanKind.CLIENT, attributes: { 'http.method': 'GET', 'http.status_code': 503 }, status: { code: StatusCode.ERROR, message: 'upstream reset' } }));
    expect([call!.fault, caller!.fault]).toEqual([true, true]);
    expect(caller!.cause).toEqual(call!.cause);
    expect(call!.http?.response?.status).toBe(503);
    expect(caller!.http).toBeUndefined();
  });

  it('translateTraceData sends both documents for one span, counted once', () => {
    const td = traces(resource({ 'service.name': 'job' }), [span({ kind: SpanKind.CLIENT }), span({ spanId: '0000000000000009', kind: SpanKind.SERVER })]);
    const r = translateTraceData(td, { ...baseOpts, maxDocumentBytes: XRAY_MAX_DOCUMENT_BYTES });
    expect(r.spans).toBe(2);
    expect(r.documents.map((d) => JSON.parse(documentJson(d.data)).name)).toEqual(['op', 'job', 'job']);
    expect(r.documents.length).toBe(3);
    expect(r.sources[0]).toBe(r.sources[1]);
    expect(r.documents.map((d) => d.extra)).toEqual([undefined, true, undefined]);
    expect(r.documents[1]!.id).toBe(callerSegmentId(hex(SPAN_1)));
  });
});

describe('real Istio spans (sleep → httpbin, as ADOT captured them)', () => {
  const { client, server } = istioSleepToHttpbin();
  const opts = { nowSec: ISTIO_NOW_MS / 1000 };
  const c = seg(client.resourceSpans[0].scopeSpans[0].spans[0], client.resourceSpans[0].resource, opts);
  const s = seg(server.resourceSpans[0].scopeSpans[0].spans[0], server.resourceSpans[0].resource, opts);

  it('reads the status code upstream turned into 0', () => {
    expect(s.http?.response?.status).toBe(200);
    expect(c.http?.response?.status).toBe(200);
    expect(s.http?.response?.content_length).toBe(533);
  });

  it('the root CLIENT span of sleep (no inbound span) gives sleep a segment and the call a remote subsegment', () => {
    const [call, caller] = docs(client.resourceSpans[0].scopeSpans[0].spans[0], client.resourceSpans[0].resource, opts) as [SegmentDocument, SegmentDocument];
    expect(caller).toMatchObject({ name: 'sleep.default', id: callerSegmentId(hex('cf77a1e7d50cfad8')) });
    expect(caller.parent_id).toBeUndefined();
    expect(caller.annotations).toMatchObject({ istio_canonical_service: 'sleep', otel_trace_id: '71f86e637c9ad592296688596eea6ee8' });
    expect(call).toMatchObject({ type: 'subsegment', parent_id: caller.id, id: 'cf77a1e7d50cfad8', name: 'httpbin.default.svc.cluster.local', namespace: 'remote' });
    // httpbin's server span keeps its parent: the call's subsegment.
    expect(s.parent_id).toBe(call.id);
  });

  it('keeps segment structure and names (server from service.name, client from the outbound cluster)', () => {
    expect(s.name).toBe('httpbin.default');
    expect(s.parent_id).toBe('cf77a1e7d50cfad8');
    expect(s.type).toBeUndefined();
    expect(c.name).toBe('httpbin.default.svc.cluster.local');
    expect(c.namespace).toBe('remote');
  });

  it('gives both spans one acceptable trace ID (the original epoch 0x71f86e63 is in 2030)', () => {
    expect(c.trace_id).toBe(s.trace_id);
    expect(c.trace_id.endsWith('-7c9ad592296688596eea6ee8')).toBe(true);
    const epoch = parseInt(c.trace_id.slice(2, 10), 16);
    expect(epoch).toBeLessThanOrEqual(1707149433);
    expect(epoch).toBeGreaterThan(1707149433 - 3600);
    expect(c.annotations?.otel_trace_id).toBe('71f86e637c9ad592296688596eea6ee8');
  });

  it('makes the Istio tags searchable', () => {
    expect(s.annotations).toMatchObject({ istio_canonical_service: 'httpbin', istio_namespace: 'default', upstream_cluster: 'inbound|80||' });
    expect(c.annotations).toMatchObject({ istio_canonical_service: 'sleep', upstream_cluster: 'outbound|8000||httpbin.default.svc.cluster.local' });
    expect(s.metadata?.default).toMatchObject({ node_id: expect.stringContaining('httpbin'), 'otel.resource.service.name': 'httpbin.default' });
  });
});
