/**
 * The `otlp` receiver: OTLP/gRPC and OTLP/HTTP (protobuf and JSON) into the pipeline, answering
 * as the OTLP specification says (docs/receivers.md lists every answer):
 * - 200 / OK with ExportTraceServiceResponse, `partial_success` when spans were rejected
 *   (invalid IDs: see ../internal/span-validation.ts);
 * - bad data → HTTP 400 / INVALID_ARGUMENT with google.rpc.Status saying what is wrong;
 * - back-pressure → HTTP 503 (429 for memory) + Retry-After / UNAVAILABLE (RESOURCE_EXHAUSTED +
 *   RetryInfo for memory), so the client keeps the data and retries.
 */
import type http from 'node:http';
import type { CreateSettings, Host, TraceConsumer, TracesReceiver } from '../../component/component.js';
import { decodeTraceRequest, encodeTraceResponse } from '../../pdata/otlp-proto.js';
import { decodeTraceRequestJson } from '../../pdata/otlp-json-decode.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import type { OtlpHttpConfig, OtlpReceiverConfig } from './config.js';
import { startGrpcServer, type ExportResult, type RunningGrpcServer } from './grpc-server.js';
import { HttpError, mediaType, quoteBounded, startHttpServer, type HttpAnswer, type HttpServerHooks, type RunningHttpServer } from '../internal/http-server.js';
import { rejectInvalidSpans } from '../internal/span-validation.js';
import { admissionRefusal, backpressureRefusal, pushTraces, refusalHttpError, type Refusal } from '../internal/refusal.js';
import { admitHttpBody, checkSpanCap, checkSpanCapHttp, IntakeRefusal, planAdmittedBody } from '../internal/intake.js';
import { AdmissionRefused, type AdmissionGrant } from '../../component/admission.js';
import { ReceiverObs } from '../internal/obsreport.js';
import { encodeRpcStatus, GrpcCode, rpcStatusJson } from '../internal/rpc-status.js';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/** What came of one export request, whatever its transport. */
type Outcome =
  | { ok: true; rejected: number; rejectMessage: string }
  | { ok: false; refusal: Refusal };

export class OtlpReceiver implements TracesReceiver {
  private host?: Host;
  private grpcServer?: RunningGrpcServer;
  private httpServer?: RunningHttpServer;
  private readonly grpcObs: ReceiverObs;
  private readonly httpObs: ReceiverObs;

  constructor(
    private readonly cfg: OtlpReceiverConfig,
    private readonly settings: CreateSettings,
    private readonly next: TraceConsumer,
  ) {
    this.grpcObs = new ReceiverObs(settings, 'grpc');
    this.httpObs = new ReceiverObs(settings, 'http');
  }

  /** Ports actually bound (useful with port 0). */
  get grpcPort(): number | undefined {
    return this.grpcServer?.port;
  }
  get httpPort(): number | undefined {
    return this.httpServer?.port;
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    const onUnexpected = (e: unknown) => this.settings.logger.error({ receiver: this.settings.id, err: e }, 'unexpected error in the OTLP receiver');
    try {
      if (this.cfg.grpc) {
        this.grpcServer = await startGrpcServer(this.cfg.grpc, (req, waitMs) => this.handleGrpc(req, waitMs), {
          onUnexpected,
          onRefused: (code, reason, message) => this.grpcObs.refusedRequest(code, reason, message, false),
          admission: () => this.host?.admission,
        });
        this.settings.logger.info({ receiver: this.settings.id, endpoint: this.cfg.grpc.endpoint, port: this.grpcServer.port }, 'OTLP/gRPC receiver listening');
      }
      if (this.cfg.http) {
        const httpCfg = this.cfg.http;
        const handler = async (req: http.IncomingMessage) => {
          try {
            return await this.handleHttp(req, httpCfg);
          } catch (e) {
            if (e instanceof HttpError) this.httpObs.refusedRequest(e.status, e.label, e.message, e.retryAfterSeconds !== undefined, e.spans, e.logged);
            throw e;
          }
        };
        const hooks: HttpServerHooks = {
          onUnexpected,
          onRefused: (status, reason, message) => this.httpObs.refusedRequest(status, reason, message, status === 503),
        };
        this.httpServer = await startHttpServer(httpCfg, handler, renderHttpError, hooks);
        this.settings.logger.info({ receiver: this.settings.id, endpoint: httpCfg.endpoint, port: this.httpServer.port }, 'OTLP/HTTP receiver listening');
      }
    } catch (e) {
      await this.shutdown(AbortSignal.abort());
      throw new Error(`receiver ${this.settings.id}: cannot listen: ${(e as Error).message}`);
    }
  }

  async shutdown(deadline: AbortSignal): Promise<void> {
    await Promise.all([this.grpcServer?.close(deadline), this.httpServer?.close(deadline)]);
    this.grpcServer = undefined;
    this.httpServer = undefined;
  }

  /** Validates, pushes on, counts. Shared by both transports. */
  private async consume(td: TraceData, obs: ReceiverObs): Promise<Outcome> {
    const rej = rejectInvalidSpans(td);
    obs.rejected(rej.byReason, rej.count, rej.message);
    const n = spanCount(td);
    if (n > 0) {
      const refusal = await pushTraces(this.next, td);
      if (refusal) {
        obs.refused(n, refusal.reason, refusal.message, refusal.retryable);
        return { ok: false, refusal };
      }
      obs.accepted(n);
    }
    return { ok: true, rejected: rej.count, rejectMessage: rej.message };
  }

  /** A gRPC refusal: counted (with its spans when known; logged unless consume() did) and answered. */
  private grpcRefusal(r: Refusal, spans: number, alreadyLogged = false): ExportResult {
    this.grpcObs.refusedRequest(GRPC_CODE_NAMES[r.grpcCode] ?? r.grpcCode, r.reason, r.message, r.retryable, spans, alreadyLogged);
    return { ok: false, code: r.grpcCode, message: r.message, retryAfterSeconds: r.retryable ? r.retryAfterSeconds : undefined };
  }

  private async handleGrpc(request: Buffer, waitMs: number): Promise<ExportResult> {
    const bp = backpressureRefusal(this.host);
    if (bp) return this.grpcRefusal(bp, 0);
    // The message is already in memory (grpc-js read it; the connection guard held its bytes):
    // size it before decoding, then admit what decoding will allocate.
    let grant: AdmissionGrant | undefined;
    let spans: number | undefined;
    try {
      const plan = await planAdmittedBody('otlp-proto', request, this.host, 'invalid ExportTraceServiceRequest protobuf');
      spans = plan.spans; // undefined for a small body: counted once decoded
      const admission = this.host?.admission;
      if (admission) grant = await admission.acquire(plan.decodedBytes, waitMs);
    } catch (e) {
      grant?.release();
      if (e instanceof IntakeRefusal) return this.grpcRefusal(e.refusal, e.spans);
      if (e instanceof AdmissionRefused) return this.grpcRefusal(admissionRefusal(e), spans ?? 0);
      throw e;
    }
    try {
      let td: TraceData;
      try {
        td = decodeTraceRequest(request);
      } catch (e) {
        const message = `invalid ExportTraceServiceRequest protobuf: ${(e as Error).message}`;
        this.grpcObs.refusedRequest('INVALID_ARGUMENT', 'invalid_data', message, false);
        return { ok: false, code: GrpcCode.INVALID_ARGUMENT, message };
      }
      if (spans === undefined) {
        try {
          checkSpanCap(spanCount(td), this.host);
        } catch (e) {
          if (e instanceof IntakeRefusal) return this.grpcRefusal(e.refusal, e.spans);
          throw e;
        }
      }
      const out = await this.consume(td, this.grpcObs);
      // Its spans were counted as refused by consume().
      if (!out.ok) return this.grpcRefusal(out.refusal, 0, true);
      return { ok: true, response: encodeTraceResponse(out.rejected ? { rejectedSpans: out.rejected, errorMessage: out.rejectMessage } : undefined) };
    } finally {
      grant?.release();
    }
  }

  private async handleHttp(req: http.IncomingMessage, cfg: OtlpHttpConfig): Promise<HttpAnswer> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== cfg.tracesUrlPath) {
      const hint = path === '/v1/metrics' || path === '/v1/logs' ? ' (this collector receives traces only)' : '';
      throw new HttpError(404, `404 page not found: ${quoteBounded(path)}${hint}; traces are received at POST ${cfg.tracesUrlPath}`);
    }
    if (req.method !== 'POST') {
      throw new HttpError(405, `405 method not allowed, supported: [POST]`, { Allow: 'POST' });
    }
    const type = mediaType(req.headers['content-type']);
    if (type !== PROTOBUF && type !== JSON_TYPE) {
      throw new HttpError(415, `415 unsupported media type, supported: [${JSON_TYPE}, ${PROTOBUF}]; got ${quoteBounded(req.headers['content-type'] ?? '')}`);
    }
    const what = type === PROTOBUF ? 'invalid ExportTraceServiceRequest protobuf' : 'invalid OTLP/JSON';
    const { body, grant, spans } = await admitHttpBody(req, cfg, this.host, type === PROTOBUF ? 'otlp-proto' : 'otlp-json', what);
    try {
      let td: TraceData;
      try {
        td = type === PROTOBUF ? decodeTraceRequest(body) : decodeTraceRequestJson(body);
      } catch (e) {
        const err = new HttpError(400, `${what}: ${(e as Error).message}`);
        err.reason = 'invalid_data';
        throw err;
      }
      if (spans === undefined) checkSpanCapHttp(spanCount(td), this.host);
      const out = await this.consume(td, this.httpObs);
      if (!out.ok) {
        const e = refusalHttpError(out.refusal);
        e.logged = true;
        throw e;
      }
      const partial = out.rejected ? { rejectedSpans: out.rejected, errorMessage: out.rejectMessage } : undefined;
      if (type === JSON_TYPE) {
        // proto3 JSON: int64 as a decimal string.
        const json = partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {};
        return { status: 200, headers: { 'Content-Type': JSON_TYPE }, body: JSON.stringify(json) };
      }
      return { status: 200, headers: { 'Content-Type': PROTOBUF }, body: encodeTraceResponse(partial) };
    } finally {
      grant?.release();
    }
  }
}

/** gRPC status names for logs and metrics: GrpcCode reversed. */
const GRPC_CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(GrpcCode).map(([name, code]) => [code, name]));

/** google.rpc.Status in the request's content type (text for anything else). */
function renderHttpError(req: http.IncomingMessage, err: HttpError): HttpAnswer {
  const type = mediaType(req.headers['content-type']);
  const status = { code: grpcCodeOf(err.status), message: err.message, retryDelaySeconds: err.retryAfterSeconds };
  if (type === PROTOBUF) {
    return { status: err.status, headers: { ...err.headers, 'Content-Type': PROTOBUF }, body: encodeRpcStatus(status) };
  }
  if (type === JSON_TYPE) {
    return { status: err.status, headers: { ...err.headers, 'Content-Type': JSON_TYPE }, body: rpcStatusJson(status) };
  }
  return { status: err.status, headers: { ...err.headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: `${err.message}\n` };
}

/** The google.rpc.Code matching an HTTP status (as grpc-gateway maps them). */
function grpcCodeOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 413:
      return GrpcCode.INVALID_ARGUMENT;
    case 404:
      return 5; // NOT_FOUND
    case 405:
    case 415:
      return 12; // UNIMPLEMENTED
    case 429:
      return GrpcCode.RESOURCE_EXHAUSTED;
    case 503:
      return GrpcCode.UNAVAILABLE;
    default:
      return GrpcCode.INTERNAL;
  }
}
