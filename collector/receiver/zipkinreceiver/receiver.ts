/**
 * The `zipkin` receiver: Zipkin v2 spans (JSON list or proto3 ListOfSpans, optionally gzip) on
 * POST /api/v2/spans, translated to OTLP (translate.ts) and pushed on. Answers (plain text):
 * 202 accepted; 400 malformed body (or every span unusable); 400 for Zipkin v1; 404 other paths;
 * 405 other methods; 413 too large; 415 other content types; 429/503 + Retry-After on
 * back-pressure. Spans that break the format are rejected alone: counted as refused, logged, and
 * listed in the 202 body, the rest go on.
 */
import type http from 'node:http';
import type { CreateSettings, Host, TraceConsumer, TracesReceiver } from '../../component/component.js';
import { spanCount } from '../../pdata/model.js';
import type { ZipkinReceiverConfig } from './config.js';
import { HttpError, mediaType, quoteBounded, startHttpServer, type HttpAnswer, type RunningHttpServer } from '../internal/http-server.js';
import { pushTraces, refusalHttpError } from '../internal/refusal.js';
import { admitHttpBody, checkSpanCapHttp } from '../internal/intake.js';
import { ReceiverObs } from '../internal/obsreport.js';
import { decodeZipkinJson } from './json-decode.js';
import { decodeZipkinProto } from './proto-decode.js';
import { ZipkinDecodeError, type DecodedZipkinSpans } from './zipkin-model.js';
import { zipkinToTraceData } from './translate.js';

export const V2_PATH = '/api/v2/spans';
const V1_PATH = '/api/v1/spans';
const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);
const JSON_TYPES = new Set(['', 'application/json', 'text/plain']);

function renderError(_req: http.IncomingMessage, err: HttpError): HttpAnswer {
  return { status: err.status, headers: { ...err.headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: `${err.message}\n` };
}

export class ZipkinReceiver implements TracesReceiver {
  private host?: Host;
  private server?: RunningHttpServer;
  private readonly obs: ReceiverObs;

  constructor(
    private readonly cfg: ZipkinReceiverConfig,
    private readonly settings: CreateSettings,
    private readonly next: TraceConsumer,
  ) {
    this.obs = new ReceiverObs(settings, 'http');
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    try {
      this.server = await startHttpServer(
        this.cfg,
        async (req) => {
          try {
            return await this.handle(req);
          } catch (e) {
            if (e instanceof HttpError) this.obs.refusedRequest(e.status, e.label, e.message, e.retryAfterSeconds !== undefined, e.spans, e.logged);
            throw e;
          }
        },
        renderError,
        {
          onUnexpected: (e) => this.settings.logger.error({ receiver: this.settings.id, err: e }, 'unexpected error in the Zipkin receiver'),
          onRefused: (status, reason, message) => this.obs.refusedRequest(status, reason, message, status === 503),
        },
      );
    } catch (e) {
      throw new Error(`receiver ${this.settings.id}: cannot listen: ${(e as Error).message}`);
    }
    this.settings.logger.info({ receiver: this.settings.id, endpoint: this.cfg.endpoint, port: this.server.port }, 'Zipkin receiver listening');
  }

  async shutdown(deadline: AbortSignal): Promise<void> {
    await this.server?.close(deadline);
    this.server = undefined;
  }

  private async handle(req: http.IncomingMessage): Promise<HttpAnswer> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === V1_PATH) {
      throw new HttpError(400, `Zipkin v1 (${V1_PATH}) is not supported: send Zipkin v2 JSON or protobuf to POST ${V2_PATH}`);
    }
    if (path !== V2_PATH) throw new HttpError(404, `404 page not found: ${quoteBounded(path)}; Zipkin v2 spans are received at POST ${V2_PATH}`);
    if (req.method !== 'POST') throw new HttpError(405, '405 method not allowed, supported: [POST]', { Allow: 'POST' });
    const type = mediaType(req.headers['content-type']);
    const isProto = PROTOBUF_TYPES.has(type);
    if (!isProto && !JSON_TYPES.has(type)) {
      const hint = type === 'application/x-thrift' ? ' (Thrift is Zipkin v1 and is not supported)' : '';
      throw new HttpError(415, `415 unsupported media type ${quoteBounded(type)}${hint}; supported: [application/json, application/x-protobuf]`);
    }
    const what = isProto ? 'invalid zipkin.proto3.ListOfSpans protobuf' : 'invalid Zipkin JSON';
    const { body, grant, spans } = await admitHttpBody(req, this.cfg, this.host, isProto ? 'zipkin-proto' : 'zipkin-json', what);
    try {
      return await this.consume(body, isProto, spans === undefined);
    } finally {
      grant?.release();
    }
  }

  /** Decodes an admitted body, pushes its valid spans on, and says which were rejected. */
  private async consume(body: Buffer, isProto: boolean, capAfterDecoding: boolean): Promise<HttpAnswer> {
    let decoded: DecodedZipkinSpans;
    try {
      decoded = isProto ? decodeZipkinProto(body) : decodeZipkinJson(body);
    } catch (e) {
      if (e instanceof ZipkinDecodeError) {
        const err = new HttpError(400, e.message);
        err.reason = 'invalid_data';
        throw err;
      }
      throw e;
    }
    if (capAfterDecoding) checkSpanCapHttp(decoded.spans.length + decoded.rejectedCount, this.host);
    let rejectedText = '';
    if (decoded.rejectedCount > 0) {
      const shown = decoded.rejected.map((r) => r.message);
      const more = decoded.rejectedCount > shown.length ? `; and ${decoded.rejectedCount - shown.length} more` : '';
      rejectedText = `${decoded.rejectedCount} span(s) rejected: ${shown.join('; ')}${more}`;
      this.obs.refused(decoded.rejectedCount, 'invalid_span', rejectedText, false);
      if (decoded.spans.length === 0) {
        const e = new HttpError(400, rejectedText);
        e.logged = true;
        e.reason = 'invalid_data';
        throw e;
      }
    }
    const td = zipkinToTraceData(decoded.spans, this.cfg.parseStringTags);
    const n = spanCount(td);
    if (n > 0) {
      const refusal = await pushTraces(this.next, td);
      if (refusal) {
        this.obs.refused(n, refusal.reason, refusal.message, refusal.retryable);
        const e = refusalHttpError(refusal);
        e.logged = true;
        throw e;
      }
      this.obs.accepted(n);
    }
    return rejectedText
      ? { status: 202, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `${rejectedText}\n` }
      : { status: 202 };
  }
}
