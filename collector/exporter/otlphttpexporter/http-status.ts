/**
 * How an OTLP/HTTP answer is read, per the OTLP specification: 429, 502, 503 and 504 are
 * retryable (waiting at least Retry-After), every other non-2xx status is permanent; error
 * bodies are google.rpc.Status (protobuf or JSON) whose message goes into the error.
 */
import { decodeRpcStatus } from '../../receiver/internal/rpc-status.js';
import { PermanentError, RetryableError } from '../exporterhelper/errors.js';

const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export function isRetryableHttpStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Retry-After as delay-seconds or an HTTP-date, in ms from `now`; undefined when absent/invalid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** The human message in an error body: google.rpc.Status (protobuf or JSON), else the text. */
export function errorBodyMessage(body: Buffer, contentType: string | undefined): string {
  if (body.length === 0) return '';
  const ct = (contentType ?? '').toLowerCase();
  try {
    if (ct.includes('protobuf')) return decodeRpcStatus(body).message;
    if (ct.includes('json')) {
      const j = JSON.parse(body.toString('utf8')) as { message?: unknown };
      if (typeof j?.message === 'string') return j.message;
    }
  } catch {
    /* not a Status: fall back to the raw text */
  }
  const text = body.toString('utf8', 0, Math.min(body.length, 512)).replace(/[^\x20-\x7e]+/g, ' ').trim();
  return text;
}

export function httpFailure(status: number, message: string, retryAfter: string | undefined): RetryableError | PermanentError {
  const text = `OTLP/HTTP export failed: HTTP ${status}${message ? `: ${message}` : ''}`;
  if (isRetryableHttpStatus(status)) return new RetryableError(text, { retryAfterMs: parseRetryAfter(retryAfter) });
  return new PermanentError(text, `http_${status}`);
}
