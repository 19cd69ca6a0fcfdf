/**
 * awsxray translator cost (issue 10, item 4): spans → X-Ray segment documents as the exporter's
 * prepare step makes them (createDocumentTranslator: epochs through the in-process cache and
 * deterministic rule, translation, size fit), then the PutTraceSegments bodies of 50 documents
 * the sender posts: everything the exporter does per span short of signing and the network.
 * No I/O. Three span mixes:
 *   - envoy: Istio sidecar spans (21 string tags, Envoy's string status codes, half root CLIENTs),
 *   - sdk:   application SDK spans (current HTTP semconv, AWS SDK calls, SQL, an exception with a
 *            Java stack trace on every 10th span) under a resource of 12 attributes,
 *   - mixed: the two alternating, 100 spans per request either way.
 * The baseline, measured in the same run window by window, is protobufjs encoding the same
 * TraceData to OTLP (the cost of serialising the same spans once), so the ratio means something
 * on a loaded machine. With `--against <dist dir of another build>` the other build's translator
 * is measured in the same alternating rounds too, and the ratio of the two printed (before/after
 * comparisons on a busy machine). Builds from before the documents were written escaped
 * (translator/document-writer.ts) give JSON text: their bodies are built as their sender did,
 * JSON.stringify of each document into one string, encoded to UTF-8.
 *
 *   npm run bench:xray-translate [-- --rounds 7 --ms 400 --against /tmp/old/dist]
 */
import type { KeyValue, Span, TraceData } from '../collector/pdata/model.js';
import { encodeTraceRequest } from '../collector/pdata/otlp-proto.js';
import { createDocumentTranslator } from '../collector/exporter/awsxrayexporter/translator/translate.js';
import { putTraceSegmentsBody } from '../collector/exporter/awsxrayexporter/send/api-sender.js';
import { MAX_DOCUMENTS_PER_CALL } from '../collector/exporter/awsxrayexporter/send/chunks.js';
import { seededRng } from '../test/seeded-rng.js';
import { fmt, median, rateOnce as rate } from './rate.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : def;
}
const ROUNDS = Number(arg('rounds', '7'));
const AGAINST = arg('against', '');
const MS = Number(arg('ms', '400'));
const SPANS = 100;
const rng = seededRng(20261205).next;

const s = (key: string, v: string): KeyValue => ({ key, value: { stringValue: v } });
const n = (key: string, v: number): KeyValue => ({ key, value: { intValue: v } });
const bytes = (len: number): Uint8Array => Uint8Array.from({ length: len }, () => Math.floor(rng() * 256));
const hex = (len: number): string => Buffer.from(bytes(len)).toString('hex');

const NOW_NS = Date.now() * 1e6;

function timed(i: number): Pick<Span, 'traceId' | 'spanId' | 'startTimeUnixNano' | 'endTimeUnixNano'> {
  const start = NOW_NS - 60e9 + i * 1e6;
  return { traceId: bytes(16), spanId: bytes(8), startTimeUnixNano: start, endTimeUnixNano: start + 3_200_000 };
}

function envoySpan(i: number): Span {
  const outbound = i % 2 === 0;
  const cluster = outbound ? 'outbound|9080||ratings.bookinfo.svc.cluster.local' : 'inbound|9080||';
  const status = i % 13 === 0 ? '503' : '200';
  return {
    ...timed(i),
    parentSpanId: outbound && i % 4 === 0 ? new Uint8Array(0) : bytes(8),
    name: outbound ? 'ratings.bookinfo.svc.cluster.local:9080/*' : 'reviews.bookinfo.svc.cluster.local:9080/*',
    kind: outbound ? 3 : 2,
    attributes: [
      s('node_id', 'sidecar~10.244.0.23~reviews-v2-7d79d9b4f6-x2nq9.bookinfo~bookinfo.svc.cluster.local'),
      s('zone', 'eu-west-1b'),
      s('guid:x-request-id', `${hex(4)}-${hex(2)}-9${hex(2).slice(1)}-${hex(2)}-${hex(6)}`),
      s('http.url', `http://ratings:9080/ratings/${i}`),
      s('http.method', 'GET'),
      s('http.protocol', 'HTTP/1.1'),
      s('downstream_cluster', '-'),
      s('user_agent', 'Mozilla/5.0 (X11; Linux x86_64)'),
      s('request_size', '0'),
      s('response_size', String(180 + i)),
      s('component', 'proxy'),
      s('upstream_cluster', cluster),
      s('upstream_cluster.name', cluster),
      s('http.status_code', status),
      s('response_flags', status === '503' ? 'URX' : '-'),
      s('peer.address', '10.244.0.31'),
      s('istio.canonical_service', 'reviews'),
      s('istio.canonical_revision', 'v2'),
      s('istio.mesh_id', 'cluster.local'),
      s('istio.namespace', 'bookinfo'),
      s('istio.cluster_id', 'Kubernetes'),
    ],
    status: status === '503' ? { code: 2 } : {},
  };
}

const JAVA_STACK = [
  'java.lang.IllegalStateException: order 42 not found',
  '\tat com.shop.orders.OrderService.load(OrderService.java:88)',
  '\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
  '\tat com.shop.orders.OrderController.get(OrderController.java:31)',
  'Caused by: java.sql.SQLTimeoutException: timeout after 5000 ms',
  '\tat org.postgresql.jdbc.PgStatement.execute(PgStatement.java:413)',
  '\t... 12 more',
].join('\n');

function sdkSpan(i: number): Span {
  const base = { ...timed(i), parentSpanId: i % 5 === 0 ? new Uint8Array(0) : bytes(8) };
  switch (i % 4) {
    case 0:
      return {
        ...base,
        name: 'GET /orders/{id}',
        kind: 2,
        attributes: [
          s('http.request.method', 'GET'), s('url.scheme', 'https'), s('url.path', `/orders/${i}`), s('url.query', 'expand=items'),
          s('server.address', 'shop.example.com'), n('server.port', 443), s('client.address', '203.0.113.7'),
          s('network.peer.address', '10.0.3.4'), s('user_agent.original', 'curl/8.5.0'), n('http.response.status_code', i % 10 === 0 ? 500 : 200),
          s('http.route', '/orders/{id}'), s('enduser.id', 'user-17'),
        ],
        events: i % 10 === 0 ? [{ name: 'exception', timeUnixNano: base.endTimeUnixNano, attributes: [
          s('exception.type', 'java.lang.IllegalStateException'), s('exception.message', 'order 42 not found'), s('exception.stacktrace', JAVA_STACK),
        ] }] : undefined,
        status: i % 10 === 0 ? { code: 2, message: 'order 42 not found' } : {},
      };
    case 1:
      return {
        ...base,
        name: 'DynamoDB.GetItem',
        kind: 3,
        attributes: [
          s('rpc.system', 'aws-api'), s('rpc.service', 'DynamoDB'), s('rpc.method', 'GetItem'), s('aws.region', 'eu-west-1'),
          s('aws.request_id', 'V4KQNSO5AEMVJF66Q9ASUAAJG18BO1FEPJSSAOGNJEDPTPCMIU7'), { key: 'aws.dynamodb.table_names', value: { arrayValue: { values: [{ stringValue: 'orders' }] } } },
          s('http.request.method', 'POST'), n('http.response.status_code', 200),
        ],
        status: {},
      };
    case 2:
      return {
        ...base,
        name: 'SELECT shop.orders',
        kind: 3,
        attributes: [
          s('db.system', 'postgresql'), s('db.name', 'shop'), s('db.statement', 'SELECT * FROM orders WHERE id = $1'), s('db.user', 'app'),
          s('db.connection_string', 'postgresql://db.internal:5432'), s('server.address', 'db.internal'), n('server.port', 5432),
        ],
        status: {},
      };
    default:
      return {
        ...base,
        name: 'GET',
        kind: 3,
        attributes: [
          s('http.request.method', 'GET'), s('url.full', `https://payments.example.com/v1/charges/${i}`), s('server.address', 'payments.example.com'),
          n('server.port', 443), n('http.response.status_code', i % 7 === 0 ? 429 : 200), s('peer.service', 'payments'),
        ],
        status: {},
      };
  }
}

const sdkResource = {
  attributes: [
    s('service.name', 'orders'), s('service.version', '1.14.2'), s('telemetry.sdk.name', 'opentelemetry'), s('telemetry.sdk.language', 'java'),
    s('telemetry.sdk.version', '1.44.1'), s('telemetry.auto.version', '2.10.0'), s('cloud.provider', 'aws'), s('cloud.platform', 'aws_eks'),
    s('cloud.account.id', '123456789012'), s('k8s.cluster.name', 'prod'), s('k8s.pod.name', 'orders-6c9f7d5b8-q2x4z'), s('container.id', hex(32)),
  ],
};
const envoyResource = { attributes: [s('service.name', 'reviews.bookinfo')] };

function request(kind: 'envoy' | 'sdk' | 'mixed'): TraceData {
  const spans = (make: (i: number) => Span) => Array.from({ length: kind === 'mixed' ? SPANS / 2 : SPANS }, (_, i) => make(i));
  const rs = [];
  if (kind !== 'sdk') rs.push({ resource: envoyResource, scopeSpans: [{ scope: { name: 'envoy' }, spans: spans(envoySpan) }] });
  if (kind !== 'envoy') rs.push({ resource: sdkResource, scopeSpans: [{ scope: { name: 'io.opentelemetry' }, spans: spans(sdkSpan) }] });
  return { resourceSpans: rs };
}

const rateOnce = (fn: () => unknown): number => rate(fn, MS, SPANS);

/** A build's translator (documents escaped as Buffers, or JSON text in older builds) and its body builder. */
type AnyTranslator = () => (td: TraceData) => Array<Buffer | string>;
type BodyOf = (docs: Array<{ data: Buffer }>) => Buffer;

/** Translation, then the bodies of PutTraceSegments calls of 50 documents. */
function exporterWork(translate: (td: TraceData) => Array<Buffer | string>, bodyOf: BodyOf | undefined): (td: TraceData) => number {
  return (td) => {
    const docs = translate(td);
    let bytes = 0;
    for (let i = 0; i < docs.length; i += MAX_DOCUMENTS_PER_CALL) {
      const chunk = docs.slice(i, i + MAX_DOCUMENTS_PER_CALL);
      if (typeof chunk[0] === 'string') {
        // Earlier builds: documents as JSON text, escaped into the body by JSON.stringify.
        let text = '{"TraceSegmentDocuments":[';
        for (let k = 0; k < chunk.length; k++) text += (k > 0 ? ',' : '') + JSON.stringify(chunk[k]);
        bytes += Buffer.from(text + ']}').length;
      } else bytes += bodyOf!(chunk.map((data) => ({ data: data as Buffer }))).length;
    }
    return bytes;
  };
}

let other: { translator: AnyTranslator; bodyOf?: BodyOf } | undefined;
if (AGAINST) {
  const t = (await import(`${AGAINST}/collector/exporter/awsxrayexporter/translator/translate.js`)) as { createDocumentTranslator: AnyTranslator };
  const sender = (await import(`${AGAINST}/collector/exporter/awsxrayexporter/send/api-sender.js`)) as { putTraceSegmentsBody?: BodyOf };
  other = { translator: t.createDocumentTranslator, bodyOf: sender.putTraceSegmentsBody };
}

console.log(`awsxray translator + PutTraceSegments bodies, ${SPANS} spans per request; node ${process.version}; ${ROUNDS} alternating rounds × ${MS} ms, medians`);
for (const kind of ['envoy', 'sdk', 'mixed'] as const) {
  const td = request(kind);
  const translate = exporterWork(createDocumentTranslator(), putTraceSegmentsBody);
  const translateOther = other && exporterWork(other.translator(), other.bodyOf);
  const docs = createDocumentTranslator()(td);
  const docBytes = docs.reduce((a, d) => a + d.length, 0);
  const b: number[] = [];
  const v: number[] = [];
  const o: number[] = [];
  const ratios: number[] = [];
  const vsOther: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    b.push(rateOnce(() => encodeTraceRequest(td)));
    v.push(rateOnce(() => translate(td)));
    ratios.push(v[r]! / b[r]!);
    if (translateOther) {
      o.push(rateOnce(() => translateOther(td)));
      vsOther.push(v[r]! / o[r]!);
    }
  }
  console.log(
    `${kind.padEnd(6)} translate+body ${fmt(median(v)).padStart(9)} spans/s   baseline protobufjs encode ${fmt(median(b)).padStart(9)} spans/s   ratio ${median(ratios).toFixed(2)}` +
      `   (${docs.length} documents, ${Math.round(docBytes / docs.length)} B each in the body)` +
      (translateOther ? `\n       --against build      ${fmt(median(o)).padStart(9)} spans/s   this build / that build ${median(vsOther).toFixed(2)}` : ''),
  );
}
