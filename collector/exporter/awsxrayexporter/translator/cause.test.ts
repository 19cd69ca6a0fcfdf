/**
 * makeCause, with the facts of upstream awsxrayexporter's TestCause* cases: exception events (and
 * the chains their stack traces hold), the ERROR status message, `http.status_text`, and the AWS
 * SDKs' `HTTP request failure` events.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type KeyValue, type Span } from '../../../pdata/model.js';
import { SPAN_1, SPAN_2, attrs, nanos, span } from '../testdata/build.js';
import { MAX_STACK_FRAMES, exceptionId, makeCause, type CauseInput } from './cause.js';

const JAVA_TRACE = `java.lang.IllegalStateException: state is not legal
\tat io.opentelemetry.sdk.trace.RecordEventsReadableSpanTest.recordException(RecordEventsReadableSpanTest.java:626)
\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke(NativeMethodAccessorImpl.java:62)
Caused by: java.lang.IllegalArgumentException: bad argument`;

const input = (o: Partial<CauseInput> = {}): CauseInput => ({ language: undefined, awsSdk: false, statusText: undefined, ...o });
const event = (name: string, a: Record<string, unknown>, sec = 1_700_000_000.5) => ({ name, timeUnixNano: nanos(sec), attributes: attrs(a) as KeyValue[] });

describe('makeCause', () => {
  it('one exception per event plus the causes of its stack trace, linked by cause (upstream TestCauseWithExceptions)', () => {
    const s: Span = span({
      status: { code: StatusCode.ERROR, message: 'this is a test' },
      events: [
        event('exception', { 'exception.type': 'java.lang.IllegalStateException', 'exception.message': 'bad state', 'exception.stacktrace': JAVA_TRACE }),
        event('exception', { 'exception.type': 'EmptyError' }),
      ],
    });
    const cause = makeCause(s, input({ language: 'java' }))!;
    expect(cause.exceptions.length).toBe(3);
    const [first, second, third] = cause.exceptions;
    expect(first).toMatchObject({ type: 'java.lang.IllegalStateException', message: 'bad state', remote: false });
    expect(first!.stack!.length).toBe(3);
    expect(first!.cause).toBe(second!.id);
    expect(second).toMatchObject({ type: 'java.lang.IllegalArgumentException', message: 'bad argument' });
    expect(second!.cause).toBeUndefined();
    expect(third).toEqual({ id: exceptionId(s.spanId, 2), type: 'EmptyError', remote: false });
    expect(new Set(cause.exceptions.map((e) => e.id)).size).toBe(3);
  });

  it.each([
    [SpanKind.CLIENT, true],
    [SpanKind.PRODUCER, true],
    [SpanKind.SERVER, false],
    [SpanKind.CONSUMER, false],
    [SpanKind.INTERNAL, false],
  ])('exceptions of kind %i are remote: %s', (kind, remote) => {
    const cause = makeCause(span({ kind, parentSpanId: SPAN_2, events: [event('exception', { 'exception.type': 'E' })] }), input());
    expect(cause!.exceptions[0]!.remote).toBe(remote);
  });

  it.each([
    ['the ERROR status message (TestCauseWithStatusMessage)', { code: StatusCode.ERROR, message: 'this is a test' }, undefined, 'this is a test'],
    ['http.status_text when the status has no message (TestCauseWithHttpStatusMessage)', { code: StatusCode.ERROR }, 'this is a test', 'this is a test'],
    ['the status message before http.status_text', { code: StatusCode.ERROR, message: 'status' }, 'text', 'status'],
  ])('without exception events: %s', (_n, status, statusText, message) => {
    const cause = makeCause(span({ status }), input({ statusText }));
    expect(cause).toEqual({ exceptions: [{ id: exceptionId(SPAN_ID, 0), message }] });
  });

  it.each([
    ['an UNSET status (TestCauseWithZeroStatusMessage)', { code: StatusCode.UNSET }, 'this is a test'],
    ['an ERROR status without any message', { code: StatusCode.ERROR }, undefined],
    ['an OK status', { code: StatusCode.OK, message: 'fine' }, undefined],
  ])('no cause for %s', (_n, status, statusText) => {
    expect(makeCause(span({ status }), input({ statusText }))).toBeUndefined();
  });

  it('exception events make a cause even when the span is not marked failed (upstream)', () => {
    expect(makeCause(span({ events: [event('exception', { 'exception.message': 'caught' })] }), input())?.exceptions[0]?.message).toBe('caught');
  });

  it('frames beyond 50 per exception are counted in truncated', () => {
    const trace = 'E: x\n' + Array.from({ length: 70 }, (_, i) => `\tat a.B.m${i}(B.java:${i + 1})`).join('\n');
    const ex = makeCause(span({ events: [event('exception', { 'exception.type': 'E', 'exception.stacktrace': trace })] }), input({ language: 'java' }))!.exceptions[0]!;
    expect(ex.stack!.length).toBe(MAX_STACK_FRAMES);
    expect(ex.truncated).toBe(20);
    expect(ex.stack![49]).toEqual({ label: 'a.B.m49', path: 'B.java', line: 50 });
  });

  it('messages are cut to 4096 characters', () => {
    const ex = makeCause(span({ status: { code: StatusCode.ERROR, message: 'm'.repeat(5000) } }), input())!.exceptions[0]!;
    expect(ex.message!.length).toBe(4096);
  });

  it('an AWS SDK span\'s "HTTP request failure" events become remote exceptions (status@seconds@message)', () => {
    const s = span({
      kind: SpanKind.CLIENT,
      parentSpanId: SPAN_2,
      status: { code: StatusCode.ERROR },
      events: [
        event('HTTP request failure', { 'http.response.status_code': 503, 'aws.http.error_message': 'Service Unavailable' }, 1_700_000_000.123456),
        event('HTTP request failure', { 'http.response.status_code': 500 }),
      ],
    });
    expect(makeCause(s, input({ awsSdk: true }))).toEqual({
      exceptions: [{ id: exceptionId(s.spanId, 0), type: 'aws.http.error.event', remote: true, message: '503@1700000000.123456@Service Unavailable' }],
    });
    // Not an AWS SDK span: such events are ordinary events, the status decides.
    expect(makeCause(s, input({ awsSdk: false }))).toBeUndefined();
  });

  it('exception IDs are 16 hex digits, stable, and differ per span and index', () => {
    const a = exceptionId(Buffer.from(SPAN_1, 'hex'), 0);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(exceptionId(Buffer.from(SPAN_1, 'hex'), 0)).toBe(a);
    expect(exceptionId(Buffer.from(SPAN_1, 'hex'), 1)).not.toBe(a);
    expect(exceptionId(Buffer.from(SPAN_2, 'hex'), 0)).not.toBe(a);
  });
});

const SPAN_ID = Buffer.from(SPAN_1, 'hex');
