/**
 * The way into the collector for one request body, shared by every receiver, in the order that
 * keeps a refused request cheap:
 *
 *   memory back-pressure?  → refuse before reading (429 / RESOURCE_EXHAUSTED)
 *   admit the wire bytes   → the memory budget's admission control (wait, or refuse retryably)
 *   read, inflate          → every byte held in the grant first (readBody, decodeContentEncoding)
 *   read the body's shape  → too deep or malformed: 400; more spans than max_spans_per_request: 413
 *                            (a small JSON body is admitted at its worst case instead, and its
 *                            spans counted once decoded: request-cost.ts, SMALL_JSON_BODY)
 *   admit the decode cost  → estimated before decoding (request-cost.ts); too large for the
 *                            budget: 413, no room now: 429
 *
 * Only then does the receiver decode, and it releases the grant once the pipeline has taken (or
 * refused) the spans: from there, what holds them (batch buffers, sending queues) is bounded and
 * reserved in the budget on its own (service/memory-budget.ts).
 */
import type http from 'node:http';
import { AdmissionRefused, type AdmissionGrant } from '../../component/admission.js';
import type { Host } from '../../component/component.js';
import { DEFAULT_MAX_SPANS_PER_REQUEST } from '../../extension/memorylimiterextension/config.js';
import { HttpError } from './http-error.js';
import type { HttpServerConfig } from './http-config.js';
import { declaredLength, decodeContentEncoding, readBody } from './http-server.js';
import { admissionRefusal, backpressureRefusal, refusalHttpError, tooManySpansRefusal, type Refusal } from './refusal.js';
import { planRequest, RequestShapeError, type BodyFormat, type RequestPlan } from './request-cost.js';
import { GrpcCode } from './rpc-status.js';

/** What a chunked body (no Content-Length) is admitted with before its first byte. */
export const INITIAL_CHUNKED_ADMISSION = 64 * 1024;
/** A request waits for admission at most this long (and at most half its read_timeout). */
export const MAX_ADMISSION_WAIT_MS = 5_000;

export interface AdmittedBody {
  body: Buffer;
  /** Spans counted before decoding; undefined when they must be counted after (checkSpanCap). */
  spans: number | undefined;
  /** Release once the pipeline has answered; undefined when nothing is limited (tests). */
  grant?: AdmissionGrant;
}

/** A request that cannot go on, with the spans it carried when they were counted (else 0). */
export class IntakeRefusal {
  constructor(
    readonly refusal: Refusal,
    readonly spans: number,
  ) {}
}

/** The body's shape and the span cap, for both transports. Rejects with IntakeRefusal. */
export async function planAdmittedBody(format: BodyFormat, body: Uint8Array, host: Host | undefined, what: string): Promise<RequestPlan> {
  let plan: RequestPlan;
  try {
    plan = await planRequest(format, body);
  } catch (e) {
    if (e instanceof RequestShapeError) {
      throw new IntakeRefusal({ retryable: false, reason: 'invalid_data', message: `${what}: ${e.message}`, retryAfterSeconds: 0, grpcCode: GrpcCode.INVALID_ARGUMENT, httpStatus: 400 }, 0);
    }
    throw e;
  }
  if (plan.spans !== undefined) checkSpanCap(plan.spans, host);
  return plan;
}

/**
 * The span cap (max_spans_per_request), for bodies counted before decoding and, for small
 * bodies, right after. Throws IntakeRefusal.
 */
export function checkSpanCap(spans: number, host: Host | undefined): void {
  const max = host?.admission?.maxSpansPerRequest ?? DEFAULT_MAX_SPANS_PER_REQUEST;
  if (spans > max) throw new IntakeRefusal(tooManySpansRefusal(spans, max), spans);
}

/** checkSpanCap for HTTP receivers: throws the HttpError to answer. */
export function checkSpanCapHttp(spans: number, host: Host | undefined): void {
  try {
    checkSpanCap(spans, host);
  } catch (e) {
    if (e instanceof IntakeRefusal) throw httpErrorOf(e, false);
    throw e;
  }
}

/** Grows `grant` to `need` bytes in all. Throws IntakeRefusal. */
export function growTo(grant: AdmissionGrant | undefined, need: number, spans: number): void {
  if (!grant || need <= grant.bytes) return;
  const refused = grant.grow(need - grant.bytes);
  if (refused) throw new IntakeRefusal(admissionRefusal(refused), spans);
}

function httpErrorOf(r: IntakeRefusal, closeConnection: boolean): HttpError {
  const e = refusalHttpError(r.refusal, closeConnection);
  e.spans = r.spans;
  return e;
}

/**
 * Reads, inflates, sizes and admits one HTTP request body (see the top of this file). Throws
 * HttpError; on success the caller owns the grant and releases it.
 */
export async function admitHttpBody(req: http.IncomingMessage, cfg: HttpServerConfig, host: Host | undefined, format: BodyFormat, what: string): Promise<AdmittedBody> {
  const bp = backpressureRefusal(host);
  if (bp) throw refusalHttpError(bp, true);
  const declared = declaredLength(req, cfg.maxRequestBodySize);
  const admission = host?.admission;
  let grant: AdmissionGrant | undefined;
  if (admission) {
    const wait = Math.min(MAX_ADMISSION_WAIT_MS, cfg.readTimeoutMs > 0 ? cfg.readTimeoutMs / 2 : MAX_ADMISSION_WAIT_MS);
    try {
      grant = await admission.acquire(declared ?? INITIAL_CHUNKED_ADMISSION, wait);
    } catch (e) {
      if (e instanceof AdmissionRefused) throw refusalHttpError(admissionRefusal(e), true);
      throw e;
    }
  }
  try {
    const raw = await readBody(req, cfg.maxRequestBodySize, grant);
    const body = await decodeContentEncoding(raw, req.headers['content-encoding'], cfg.maxRequestBodySize, cfg.compressionAlgorithms, grant);
    try {
      const plan = await planAdmittedBody(format, body, host, what);
      // The compressed body stays referenced while the inflated one is decoded.
      growTo(grant, plan.decodedBytes + (body === raw ? 0 : raw.length), plan.spans ?? 0);
      return { body, spans: plan.spans, grant };
    } catch (e) {
      if (e instanceof IntakeRefusal) throw httpErrorOf(e, false);
      throw e;
    }
  } catch (e) {
    grant?.release();
    throw e;
  }
}
