/**
 * A fake of X-Ray's OTLP endpoint (`POST /v1/traces`) on 127.0.0.1, port 0, for tests. Like the
 * service it
 * - checks every request's SigV4 signature with the verifier written from AWS's documented
 *   algorithm (awsxrayexporter/testdata/fake-xray.ts, node:crypto only) — not with the AWS SDK
 *   signer the exporter uses — for service `xray` and its region, over the body as received
 *   (gzip), and answers 403 when it does not match;
 * - refuses the whole request with 400 when one limit is broken: more than 10,000 spans or
 *   5,000,000 bytes uncompressed, a span over 200,000 bytes, resource + scope over 16,000 bytes,
 *   a span starting more than 2 h ahead or 14 days back, more than 24 h between the earliest and
 *   latest span start (sizes measured exactly with protobufjs, independently of the exporter's
 *   estimates);
 * - otherwise answers an empty ExportTraceServiceResponse, or what a test queued with
 *   answerNext(); the spans of a 2xx answer count as accepted.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { idToHex, nanosToNumber, type TraceData } from '../../../pdata/model.js';
import { decodeTraceRequest, encodeTraceResponse, protoRoot } from '../../../pdata/otlp-proto.js';
import { LocalHttpFake, TEST_CREDENTIALS, TEST_REGION, verifySigV4 } from '../../awsxrayexporter/testdata/fake-xray.js';

export { TEST_CREDENTIALS, TEST_REGION };

const SpanMessage = protoRoot.lookupType('opentelemetry.proto.trace.v1.Span');
const ResourceMessage = protoRoot.lookupType('opentelemetry.proto.resource.v1.Resource');
const ScopeMessage = protoRoot.lookupType('opentelemetry.proto.common.v1.InstrumentationScope');
type Msg = Parameters<typeof SpanMessage.encode>[0];
const size = (t: typeof SpanMessage, m: unknown) => t.encode(m as Msg).finish().length;

export interface XrayOtlpRequest {
  status: number;
  /** Why the fake refused it (signature or limit), if it did. */
  problem?: string;
  accessKeyId?: string;
  securityToken?: string;
  amzDate?: string;
  signedHeaders: string[];
  headers: IncomingMessage['headers'];
  wireBytes: number;
  /** SHA-256 (hex) of the body as received: what x-amz-content-sha256 must be for a gzip body. */
  wireSha256: string;
  rawBytes: number;
  spans: number;
  /** Span IDs (hex) of an accepted request. */
  spanIds: string[];
  td?: TraceData;
}

export interface InjectedAnswer {
  /** 0: never answer (the request hangs until the fake stops). */
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The first limit X-Ray's OTLP endpoint would refuse this request for. */
export function xrayLimitProblem(td: TraceData, rawBytes: number, nowMs = Date.now()): string | undefined {
  if (rawBytes > 5_000_000) return `request is ${rawBytes} bytes uncompressed (limit 5 MB)`;
  let spans = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const rs of td.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      if (ss.spans.length > 0) {
        const rsBytes = size(ResourceMessage, rs.resource ?? {}) + size(ScopeMessage, ss.scope ?? {});
        if (rsBytes > 16_000) return `resource + scope is ${rsBytes} bytes (limit 16 KB)`;
      }
      for (const s of ss.spans) {
        spans++;
        const b = size(SpanMessage, s);
        if (b > 200_000) return `span ${idToHex(s.spanId)} is ${b} bytes (limit 200 KB)`;
        const start = nanosToNumber(s.startTimeUnixNano) / 1e6;
        if (start > nowMs + 2 * HOUR) return `span ${idToHex(s.spanId)} starts more than 2 h ahead`;
        if (start < nowMs - 14 * DAY) return `span ${idToHex(s.spanId)} starts more than 14 days back`;
        min = Math.min(min, start);
        max = Math.max(max, start);
      }
    }
  }
  if (spans > 10_000) return `${spans} spans (limit 10,000)`;
  if (max - min > DAY) return `spans ${((max - min) / HOUR).toFixed(1)} h apart (limit 24 h)`;
  return undefined;
}

export class FakeXrayOtlp extends LocalHttpFake {
  readonly requests: XrayOtlpRequest[] = [];
  private readonly secrets = new Map<string, string>();
  private readonly answers: InjectedAnswer[] = [];

  constructor(
    creds: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS,
    private readonly region = TEST_REGION,
  ) {
    super();
    this.secrets.set(creds.accessKeyId, creds.secretAccessKey);
  }

  /** Accepts one more credential (rotated or assumed ones). */
  allow(accessKeyId: string, secretAccessKey: string): void {
    this.secrets.set(accessKeyId, secretAccessKey);
  }

  /** The next valid requests get these answers instead of 200 (e.g. 503, 429, 400). */
  answerNext(...answers: InjectedAnswer[]): void {
    this.answers.push(...answers);
  }

  /** Span IDs of every accepted request, in arrival order. */
  acceptedSpanIds(): string[] {
    return this.requests.flatMap((r) => r.spanIds);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const wire = Buffer.concat(chunks);
    const auth = String(req.headers.authorization ?? '');
    const rec: XrayOtlpRequest = {
      status: 0,
      accessKeyId: /Credential=([^/]+)\//.exec(auth)?.[1],
      securityToken: req.headers['x-amz-security-token'] as string | undefined,
      amzDate: req.headers['x-amz-date'] as string | undefined,
      signedHeaders: (/SignedHeaders=([^,]+)/.exec(auth)?.[1] ?? '').split(';').filter(Boolean),
      headers: req.headers,
      wireBytes: wire.length,
      wireSha256: createHash('sha256').update(wire).digest('hex'),
      rawBytes: 0,
      spans: 0,
      spanIds: [],
    };
    this.requests.push(rec);
    const reply = (status: number, message?: string, headers: Record<string, string> = {}) => {
      rec.status = status;
      rec.problem = message;
      if (status === 200) {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(encodeTraceResponse()));
      } else {
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ code: status, message: message ?? '' }));
      }
    };
    if (req.method !== 'POST' || req.url !== '/v1/traces') return reply(404, `no route ${req.method} ${req.url}`);
    const sig = verifySigV4(req, wire, this.secrets, this.region, 'xray');
    if (!sig.ok) return reply(403, `signature check failed: ${sig.problem}`);
    if (req.headers['content-type'] !== 'application/x-protobuf') return reply(415, `content-type ${req.headers['content-type']}`);
    let raw: Buffer;
    let td: TraceData;
    try {
      raw = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(wire) : wire;
      td = decodeTraceRequest(raw);
    } catch (e) {
      return reply(400, `undecodable body: ${(e as Error).message}`);
    }
    rec.rawBytes = raw.length;
    rec.td = td;
    for (const rs of td.resourceSpans) for (const ss of rs.scopeSpans) rec.spans += ss.spans.length;
    const problem = xrayLimitProblem(td, raw.length);
    if (problem) return reply(400, problem);
    const injected = this.answers.shift();
    const status = injected?.status ?? 200;
    if (status >= 200 && status < 300) {
      for (const rs of td.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) rec.spanIds.push(idToHex(s.spanId));
    }
    if (!injected) return reply(200);
    rec.status = injected.status;
    if (injected.status === 0) return;
    res.writeHead(injected.status, { 'content-type': 'application/json', ...injected.headers }).end(injected.body ?? '');
  }
}
