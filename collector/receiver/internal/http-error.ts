/**
 * The error answer of an HTTP receiver: status, message (capped: it never echoes unbounded
 * input), extra headers, and what the metrics need (reason label, spans refused with it).
 */

/** Longest error message sent to a client (a list of rejected spans stays well below it). */
const MAX_ERROR_MESSAGE = 2048;

/** `s` cut to `max` characters, for messages that repeat part of the request (header values). */
export function cutText(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** `s` cut to `max` characters and quoted, for paths and other free text from the request. */
export function quoteBounded(s: string, max = 64): string {
  return JSON.stringify(cutText(s, max));
}

/** The metric label of an error answer, by status, when the thrower gave none. */
const REASON_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'timeout',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'memory_limit',
  431: 'headers_too_large',
  500: 'internal',
  503: 'unavailable',
};

/** An answer a handler gives instead of its normal one; the receiver renders the body. */
export class HttpError extends Error {
  /** Set on back-pressure answers: the Retry-After value, also sent as RetryInfo. */
  retryAfterSeconds?: number;
  /** The refusal was already counted and logged with its spans (no second log line). */
  logged = false;
  /** Metric label (`too_many_spans`, `waiting_limit`, ...); by status when unset. */
  reason?: string;
  /** Spans the refused request carried, when they were counted before refusing (else 0). */
  spans = 0;

  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Close the connection after answering (the body was not read to its end). */
    readonly closeConnection = false,
  ) {
    super(message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}…` : message);
    this.name = 'HttpError';
  }

  get label(): string {
    return this.reason ?? REASON_BY_STATUS[this.status] ?? `http_${this.status}`;
  }
}
