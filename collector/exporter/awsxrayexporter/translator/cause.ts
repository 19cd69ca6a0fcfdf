/**
 * The `cause` of a failed segment, as upstream builds it: one exception per OTel `exception`
 * event (type, message, remote for CLIENT/PRODUCER spans, stack frames from the stack trace), or,
 * without such events, one exception carrying the ERROR status message (or `http.status_text`).
 * Exception IDs are derived from the span ID instead of random, so a retried span produces the
 * same document.
 */
import type { Span } from '../../../pdata/model.js';
import { SpanKind, StatusCode, getStringAttr } from '../../../pdata/model.js';
import { traceIdHash } from '../traceid/epoch.js';

export interface StackFrame {
  path?: string;
  line?: number;
  label?: string;
}

export interface XrayException {
  id: string;
  type?: string;
  message?: string;
  remote?: boolean;
  stack?: StackFrame[];
  truncated?: number;
}

export interface Cause {
  exceptions: XrayException[];
}

/** Frames kept per exception; the rest are counted in `truncated`. */
export const MAX_STACK_FRAMES = 50;
const MAX_MESSAGE_LENGTH = 4096;

export function exceptionId(spanId: Uint8Array, index: number): string {
  const a = traceIdHash(spanId) ^ Math.imul(index + 1, 0x9e3779b1);
  const b = traceIdHash(Uint8Array.of(index & 0xff, ...spanId));
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export function makeCause(span: Span, statusText: string | undefined): Cause | undefined {
  const events = span.events ?? [];
  const remote = span.kind === SpanKind.CLIENT || span.kind === SpanKind.PRODUCER;
  const exceptions: XrayException[] = [];
  for (const ev of events) {
    if (ev.name !== 'exception') continue;
    const ex: XrayException = { id: exceptionId(span.spanId, exceptions.length), remote };
    const type = getStringAttr(ev.attributes, 'exception.type');
    const message = getStringAttr(ev.attributes, 'exception.message');
    const stack = getStringAttr(ev.attributes, 'exception.stacktrace');
    if (type !== undefined) ex.type = type;
    if (message !== undefined) ex.message = cut(message);
    if (stack !== undefined) {
      const { frames, truncated } = parseStackTrace(stack);
      if (frames.length > 0) ex.stack = frames;
      if (truncated > 0) ex.truncated = truncated;
    }
    exceptions.push(ex);
  }
  if (exceptions.length > 0) return { exceptions };
  if (span.status?.code !== StatusCode.ERROR) return undefined;
  const message = span.status.message || statusText;
  if (!message) return undefined;
  return { exceptions: [{ id: exceptionId(span.spanId, 0), message: cut(message) }] };
}

function cut(s: string): string {
  return s.length > MAX_MESSAGE_LENGTH ? s.slice(0, MAX_MESSAGE_LENGTH) : s;
}

const JAVA_OR_JS_FRAME = /^\s*at\s+(?:(.*?)\s*\((.*?)(?::(\d+))?(?::\d+)?\)|(.*?)(?::(\d+))(?::\d+)?)\s*$/;
const PYTHON_FRAME = /^\s*File "(.*)", line (\d+)(?:, in (.*))?$/;

/**
 * Frames from the common stack-trace shapes (Java/.NET/JS `at label (path:line[:col])`, JS
 * `at path:line:col`, Python `File "path", line N, in label`). Upstream parses per SDK language;
 * one tolerant parser covers the same shapes without needing telemetry.sdk.language.
 */
export function parseStackTrace(text: string): { frames: StackFrame[]; truncated: number } {
  const frames: StackFrame[] = [];
  let truncated = 0;
  for (const line of text.split('\n')) {
    let frame: StackFrame | undefined;
    const m = JAVA_OR_JS_FRAME.exec(line);
    if (m) {
      if (m[2] !== undefined) frame = withLine({ label: m[1] || undefined, path: m[2] || undefined }, m[3]);
      else frame = withLine({ path: m[4] || undefined }, m[5]);
    } else {
      const p = PYTHON_FRAME.exec(line);
      if (p) frame = withLine({ path: p[1], label: p[3] }, p[2]);
    }
    if (!frame) continue;
    if (frames.length < MAX_STACK_FRAMES) frames.push(frame);
    else truncated++;
  }
  return { frames, truncated };
}

function withLine(f: StackFrame, line: string | undefined): StackFrame {
  const out: StackFrame = {};
  if (f.path !== undefined) out.path = f.path;
  if (line !== undefined) out.line = Number(line);
  if (f.label !== undefined) out.label = f.label;
  return out;
}
