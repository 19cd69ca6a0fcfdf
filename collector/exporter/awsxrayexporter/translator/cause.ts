/**
 * The `cause` of a segment, as upstream builds it: per OTel `exception` event the exception
 * itself (type, message, `remote` for CLIENT/PRODUCER spans) and every exception its stack trace
 * chains (Java `Caused by:`, Python's chained tracebacks, .NET inner exceptions), each pointing at
 * the next through `cause`; on AWS SDK spans also the SDK's `HTTP request failure` events;
 * without such events, one exception carrying the ERROR status message (or `http.status_text`).
 * Exception IDs are derived from the span ID instead of random, so a retried span produces the
 * same document.
 */
import type { KeyValue, Span } from '../../../pdata/model.js';
import { SpanKind, StatusCode, findAttr, getStringAttr, nanosToNumber } from '../../../pdata/model.js';
import { traceIdHash } from '../traceid/epoch.js';
import { parseStackTrace, type StackFrame, type StackLanguage } from './stacktrace.js';
import { nanosToSeconds } from './values.js';

export type { StackFrame } from './stacktrace.js';

export interface XrayException {
  id: string;
  type?: string;
  message?: string;
  remote?: boolean;
  cause?: string;
  stack?: StackFrame[];
  truncated?: number;
}

export interface Cause {
  exceptions: XrayException[];
}

/** Frames kept per exception; the rest are counted in `truncated`. */
export const MAX_STACK_FRAMES = 50;
const MAX_MESSAGE_LENGTH = 4096;
const EXCEPTION_EVENT = 'exception';
/** The AWS SDKs' event for one failed HTTP attempt of a call (retried or not). */
const AWS_HTTP_FAILURE_EVENT = 'HTTP request failure';
const AWS_HTTP_FAILURE_TYPE = 'aws.http.error.event';

export function exceptionId(spanId: Uint8Array, index: number): string {
  const a = traceIdHash(spanId) ^ Math.imul(index + 1, 0x9e3779b1);
  const b = traceIdHash(Uint8Array.of(index & 0xff, ...spanId));
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export interface CauseInput {
  /** Parser for the stack traces (from telemetry.sdk.language); detected from the text when undefined. */
  language: StackLanguage | undefined;
  /** The span is an AWS SDK call (its `HTTP request failure` events become exceptions). */
  awsSdk: boolean;
  /** `http.status_text`, the message of last resort. */
  statusText: string | undefined;
}

export function makeCause(span: Span, input: CauseInput): Cause | undefined {
  const events = span.events;
  const exceptions: XrayException[] = [];
  if (events && events.length > 0) {
    const remote = span.kind === SpanKind.CLIENT || span.kind === SpanKind.PRODUCER;
    for (const ev of events) {
      if (ev.name === EXCEPTION_EVENT) addExceptionChain(span.spanId, ev.attributes, remote, input.language, exceptions);
      else if (input.awsSdk && ev.name === AWS_HTTP_FAILURE_EVENT) addAwsHttpFailure(span.spanId, ev.attributes, nanosToNumber(ev.timeUnixNano), exceptions);
    }
  }
  if (exceptions.length > 0) return { exceptions };
  if (span.status?.code !== StatusCode.ERROR) return undefined;
  const message = span.status.message || input.statusText;
  if (!message) return undefined;
  return { exceptions: [{ id: exceptionId(span.spanId, 0), message: cut(message) }] };
}

function addExceptionChain(spanId: Uint8Array, attrs: readonly KeyValue[] | undefined, remote: boolean, language: StackLanguage | undefined, out: XrayException[]): void {
  const stacktrace = getStringAttr(attrs, 'exception.stacktrace');
  const chain = stacktrace ? parseStackTrace(stacktrace, language) : [{ stack: [] }];
  // The event's own type and message win over the text's first line.
  chain[0]!.type = getStringAttr(attrs, 'exception.type');
  chain[0]!.message = getStringAttr(attrs, 'exception.message');
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!;
    const ex: XrayException = { id: exceptionId(spanId, out.length), remote };
    if (c.type) ex.type = c.type;
    if (c.message !== undefined) ex.message = cut(c.message);
    if (c.stack.length > MAX_STACK_FRAMES) {
      ex.truncated = c.stack.length - MAX_STACK_FRAMES;
      ex.stack = c.stack.slice(0, MAX_STACK_FRAMES);
    } else if (c.stack.length > 0) ex.stack = c.stack;
    if (i > 0) out[out.length - 1]!.cause = ex.id;
    out.push(ex);
  }
}

/** `<status>@<seconds, 6 decimals>@<message>`, as upstream writes these. */
function addAwsHttpFailure(spanId: Uint8Array, attrs: readonly KeyValue[] | undefined, timeNs: number, out: XrayException[]): void {
  const code = findAttr(attrs, 'http.response.status_code');
  const message = getStringAttr(attrs, 'aws.http.error_message');
  if (code === undefined || message === undefined) return;
  const status = code.intValue != null ? String(code.intValue) : code.stringValue ?? (code.doubleValue != null ? String(code.doubleValue) : '');
  out.push({
    id: exceptionId(spanId, out.length),
    type: AWS_HTTP_FAILURE_TYPE,
    remote: true,
    message: cut(`${status}@${nanosToSeconds(timeNs).toFixed(6)}@${message}`),
  });
}

function cut(s: string): string {
  return s.length > MAX_MESSAGE_LENGTH ? s.slice(0, MAX_MESSAGE_LENGTH) : s;
}
