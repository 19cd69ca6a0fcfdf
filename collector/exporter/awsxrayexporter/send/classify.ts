/**
 * What an X-Ray answer or call error means for the segments of that call. Pure functions,
 * table-tested (send.test.ts).
 *
 * Retryable: throttling (`ThrottledException`, `ThrottlingException`, `TooManyRequestsException`,
 * HTTP 429) whatever the HTTP status — AWS answers throttling with 400 on some paths — any 5xx,
 * network errors and timeouts, and credential errors (tokens expire and IAM changes propagate:
 * the retry budget bounds the wait). Permanent: every other 4xx — the request itself is wrong
 * (InvalidRequestException, 413).
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface XrayErrorClass {
  retryable: boolean;
  /** Metric reason: `throttled`, `server_error`, `credentials`, `network`, or `xray_<status>`. */
  reason: string;
  detail: string;
  retryAfterMs?: number;
}

interface ErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | string[] | undefined> };
  $retryable?: { throttling?: boolean };
}

const THROTTLING = new Set(['ThrottledException', 'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);

const CREDENTIAL_ERRORS = new Set([
  'ExpiredTokenException', 'ExpiredToken', 'AccessDeniedException', 'UnrecognizedClientException',
  'InvalidSignatureException', 'SignatureDoesNotMatch', 'RequestExpired', 'CredentialsProviderError',
  'IncompleteSignatureException', 'MissingAuthenticationTokenException', 'InvalidClientTokenId',
]);

/** Classifies an error thrown on the way (network, timeout, credentials) or an SDK-shaped error. */
export function classifyXrayError(err: unknown): XrayErrorClass {
  const e = (err ?? {}) as ErrorShape;
  const name = e.name ?? e.code ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  const retryAfter = retryAfterMs(header(e.$response?.headers, 'retry-after'));
  if (THROTTLING.has(name) || status === 429 || e.$retryable?.throttling) {
    return { retryable: true, reason: 'throttled', detail, retryAfterMs: retryAfter };
  }
  if (status !== undefined && status >= 500) return { retryable: true, reason: 'server_error', detail, retryAfterMs: retryAfter };
  if (CREDENTIAL_ERRORS.has(name) || status === 401 || status === 403) return { retryable: true, reason: 'credentials', detail };
  if (status !== undefined && status >= 400) return { retryable: false, reason: `xray_${status}`, detail };
  // No HTTP answer at all: connection refused/reset, DNS, timeout, abort — worth retrying.
  return { retryable: true, reason: 'network', detail };
}

/**
 * Classifies a non-2xx answer of the REST-JSON protocol: the error type from `x-amzn-errortype`
 * (`ThrottledException:http://internal…`) or the body's `__type` (`…#ThrottledException`) /
 * `code`, the message from the body's `message` / `Message`.
 */
export function classifyXrayAnswer(status: number, headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, body: string): XrayErrorClass {
  let parsed: Record<string, unknown> = {};
  try {
    const v = JSON.parse(body) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's HTML page): the status decides
  }
  const typeHeader = header(headers, 'x-amzn-errortype');
  let type = typeHeader?.split(':')[0] ?? (typeof parsed.__type === 'string' ? parsed.__type : typeof parsed.code === 'string' ? parsed.code : '');
  type = type.slice(type.lastIndexOf('#') + 1).trim();
  const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : body.slice(0, 200);
  return classifyXrayError({
    name: type || `HTTP${status}`,
    message,
    $metadata: { httpStatusCode: status },
    $response: { headers: headers as Record<string, string | string[] | undefined> },
  });
}

function header(h: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  const v = h?.[name];
  return Array.isArray(v) ? v[0] : v;
}

function retryAfterMs(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : undefined;
}
