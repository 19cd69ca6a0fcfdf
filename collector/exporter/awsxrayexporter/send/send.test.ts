import { describe, expect, it } from 'vitest';
import { FakeXray, TEST_CREDENTIALS, TEST_REGION } from '../testdata/fake-xray.js';
import { DocumentWriter } from '../translator/document-writer.js';
import { ApiSender, classifyXrayAnswer, classifyXrayError, createXrayClient, putTraceSegmentsBody } from './api-sender.js';
import { chunkDocuments, MAX_DOCUMENTS_PER_CALL, MAX_REQUEST_BYTES } from './chunks.js';

describe('chunkDocuments', () => {
  const docs = (sizes: number[]) => sizes.map((bytes, i) => ({ data: { length: bytes }, i }));

  it.each([
    ['empty', [], []],
    ['one', [10], [1]],
    ['exactly 50', Array(50).fill(100), [50]],
    ['51 → 50 + 1', Array(51).fill(100), [50, 1]],
    ['120 → 50, 50, 20', Array(120).fill(100), [50, 50, 20]],
    ['byte budget splits before 50', Array(40).fill(60_000), [17, 17, 6]],
    ['a document at the budget alone', [MAX_REQUEST_BYTES, 1], [1, 1]],
  ])('%s', (_n, sizes, want) => {
    const chunks = chunkDocuments(docs(sizes as number[]));
    expect(chunks.map((c) => c.length)).toEqual(want);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(MAX_DOCUMENTS_PER_CALL);
      if (c.length > 1) expect(c.reduce((s, d) => s + d.data.length + 3, 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
    expect(chunks.flat().map((d) => d.i)).toEqual(docs(sizes as number[]).map((d) => d.i)); // order kept, nothing lost
  });
});

describe('classifyXrayError', () => {
  const err = (name: string, status?: number, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status }, $response: { headers } });

  it.each([
    ['ThrottledException', err('ThrottledException', 429), true, 'throttled'],
    ['ThrottledException answered with 400', err('ThrottledException', 400), true, 'throttled'],
    ['ThrottlingException answered with 400', err('ThrottlingException', 400), true, 'throttled'],
    ['TooManyRequestsException', err('TooManyRequestsException', 400), true, 'throttled'],
    ['a 502', err('BadGateway', 502), true, 'server_error'],
    ['a bare 429', err('TooManyRequests', 429), true, 'throttled'],
    ['a 500', err('InternalFailure', 500), true, 'server_error'],
    ['a 503', err('ServiceUnavailable', 503), true, 'server_error'],
    ['expired credentials', err('ExpiredTokenException', 400), true, 'credentials'],
    ['access denied (IAM not yet propagated)', err('AccessDeniedException', 403), true, 'credentials'],
    ['no credentials at all', err('CredentialsProviderError'), true, 'credentials'],
    ['InvalidRequestException', err('InvalidRequestException', 400), false, 'xray_400'],
    ['a 413', err('RequestEntityTooLarge', 413), false, 'xray_413'],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true, 'network'],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true, 'network'],
    ['an abort at shutdown', Object.assign(new Error('aborted'), { name: 'AbortError' }), true, 'network'],
    ['not an Error at all', 'weird', true, 'network'],
  ])('%s', (_n, e, retryable, reason) => {
    const c = classifyXrayError(e);
    expect(c.retryable).toBe(retryable);
    expect(c.reason).toBe(reason);
    expect(c.detail.length).toBeGreaterThan(3);
  });

  it.each([
    ['429 with x-amzn-errortype', 429, { 'x-amzn-errortype': 'ThrottledException:http://internal.amazon.com/coral/com.amazon.coral.service/' }, '{"message":"Rate exceeded"}', true, 'throttled', /ThrottledException \(HTTP 429\): Rate exceeded/],
    ['400 ThrottlingException in the header', 400, { 'x-amzn-errortype': 'ThrottlingException' }, '{"message":"slow down"}', true, 'throttled', /ThrottlingException/],
    ['400 ThrottlingException only in __type', 400, {}, '{"__type":"com.amazonaws.xray#ThrottlingException","Message":"slow down"}', true, 'throttled', /slow down/],
    ['400 InvalidRequestException', 400, { 'x-amzn-errortype': 'InvalidRequestException' }, '{"message":"bad doc"}', false, 'xray_400', /InvalidRequestException.*bad doc/],
    ['500 with an HTML body', 500, {}, '<html>oops</html>', true, 'server_error', /HTTP500 \(HTTP 500\): <html>oops/],
    ['503', 503, { 'retry-after': '2' }, '', true, 'server_error', /HTTP 503/],
    ['403 signature', 403, { 'x-amzn-errortype': 'InvalidSignatureException' }, '{"message":"sig"}', true, 'credentials', /InvalidSignatureException/],
    ['413', 413, {}, '', false, 'xray_413', /HTTP 413/],
  ])('an answer: %s', (_n, status, headers, body, retryable, reason, detail) => {
    const c = classifyXrayAnswer(status, headers, body);
    expect(c).toMatchObject({ retryable, reason });
    expect(c.detail).toMatch(detail);
  });

  it('honours Retry-After on an answer', () => {
    expect(classifyXrayAnswer(503, { 'retry-after': '2' }, '').retryAfterMs).toBe(2000);
  });

  it('honours Retry-After on throttling', () => {
    expect(classifyXrayError(err('ThrottledException', 429, { 'retry-after': '3' })).retryAfterMs).toBe(3000);
  });
});

/** A document as the translator writes it (escaped for the body); `name` may hold anything. */
const documentOf = (fields: Record<string, unknown>) => {
  const w = new DocumentWriter();
  w.write(fields);
  return w.take();
};
const doc = (i: number, name = 'a') => {
  const id = (0x1000 + i).toString(16).padStart(16, '0');
  return { data: documentOf({ name, id, trace_id: '1-5f84c7a1-0123456789abcdef01234567', start_time: 1, end_time: 2 }), id };
};

describe('putTraceSegmentsBody', () => {
  it.each([
    ['no documents', []],
    ['one', ['a']],
    ['quotes, backslashes, control characters, non-ASCII and a lone surrogate', ['say "hi"', 'C:\\path\\', 'tab\tnew\nline\u0001', 'añ 日本 😀', 'half \ud800 pair']],
  ])('%s: the JSON PutTraceSegments takes, each document its JSON text as a string', (_n, names) => {
    const docs = (names as string[]).map((name, i) => doc(i, name));
    const body = JSON.parse(putTraceSegmentsBody(docs).toString('utf8')) as { TraceSegmentDocuments: string[] };
    expect(Object.keys(body)).toEqual(['TraceSegmentDocuments']);
    expect(body.TraceSegmentDocuments).toEqual(
      (names as string[]).map((name, i) => JSON.stringify({ name, id: (0x1000 + i).toString(16).padStart(16, '0'), trace_id: '1-5f84c7a1-0123456789abcdef01234567', start_time: 1, end_time: 2 })),
    );
  });
});

describe('the SDK logger (warnings only)', () => {
  it('has no info/error, so the SDK skips its per-call log records; debug is a no-op; warn is forwarded', () => {
    const warned: string[] = [];
    const client = createXrayClient({ region: TEST_REGION, noVerifySsl: false, timeoutMs: 1000, credentials: TEST_CREDENTIALS, warn: (m) => warned.push(m) });
    try {
      const logger = client.config.logger as unknown as Record<string, unknown>;
      expect(logger.info).toBeUndefined();
      expect(logger.error).toBeUndefined();
      expect(() => (logger.debug as (m: string) => void)('credential chain step')).not.toThrow();
      (logger.warn as (...a: unknown[]) => void)('socket usage', 'at capacity');
      expect(warned).toEqual(['socket usage at capacity']);
    } finally {
      client.destroy();
    }
  });

  it('a hung call ends at the request timeout (socket released) and its documents come back for retry', async () => {
    const fake = new FakeXray();
    await fake.start();
    const sender = new ApiSender({ region: TEST_REGION, endpoint: fake.url, noVerifySsl: false, timeoutMs: 100, credentials: TEST_CREDENTIALS });
    try {
      await sender.start();
      const doc = { data: documentOf({ name: 'a', id: '0123456789abcdef', trace_id: '1-5f84c7a1-0123456789abcdef01234567', start_time: 1, end_time: 2 }), id: '0123456789abcdef' };
      const ok = await sender.send([doc], new AbortController().signal);
      expect(ok.retry).toEqual([]);
      expect(fake.calls.at(-1)?.signatureOk).toBe(true);
      fake.hangNext();
      const started = Date.now();
      const hung = await sender.send([doc], new AbortController().signal);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(hung.retry).toEqual([doc]);
      expect(hung.lastError).toMatch(/timed out after 100ms/);
    } finally {
      await sender.close();
      await fake.stop();
    }
  });
});

/** A started sender against a fresh fake X-Ray (1 call in flight), both stopped afterwards. */
async function withSender(timeoutMs: number, fn: (fake: FakeXray, sender: ApiSender) => Promise<void>): Promise<void> {
  const fake = new FakeXray();
  await fake.start();
  const sender = new ApiSender({ region: TEST_REGION, endpoint: fake.url, noVerifySsl: false, timeoutMs, credentials: TEST_CREDENTIALS, concurrency: 1 });
  try {
    await sender.start();
    await fn(fake, sender);
  } finally {
    await sender.close();
    await fake.stop();
  }
}

describe('ApiSender: calls signed with the SDK signer, every document in exactly one place', () => {
  it('a call slower than `timeout` comes back alone; the batch\'s accepted calls are not sent again', async () => {
    await withSender(300, async (fake, sender) => {
      const docs = Array.from({ length: 150 }, (_, i) => doc(i)); // 3 calls of 50
      fake.slowNext(1500); // the first call outlives the timeout
      const out = await sender.send(docs, new AbortController().signal);
      expect(out.retry.map((d) => d.id)).toEqual(docs.slice(0, 50).map((d) => d.id));
      expect(fake.acceptedIds().sort()).toEqual(docs.slice(50).map((d) => d.id).sort());
      expect(fake.calls.every((c) => c.signatureOk)).toBe(true);
    });
  });

  it('sorts one batch\'s calls into accepted, retry (unprocessed, throttled 429/400, 500) and refused', async () => {
    await withSender(2000, async (fake, sender) => {
      const docs = Array.from({ length: 300 }, (_, i) => doc(i)); // 6 calls
      fake.unprocessNext(5);
      fake.throttleNext(1, 429, 'ThrottledException');
      fake.throttleNext(1, 400, 'ThrottlingException');
      fake.errorNext(500, 'InternalFailure');
      fake.errorNext(400, 'InvalidRequestException');
      const out = await sender.send(docs, new AbortController().signal);
      const retryIds = out.retry.map((d) => d.id);
      expect(retryIds).toEqual([...docs.slice(0, 5), ...docs.slice(50, 200)].map((d) => d.id));
      expect([...out.permanent.keys()]).toEqual(['xray_400']);
      expect(out.permanent.get('xray_400')!.docs.map((d) => d.id)).toEqual(docs.slice(200, 250).map((d) => d.id));
      expect(fake.acceptedIds().sort()).toEqual([...docs.slice(5, 50), ...docs.slice(250)].map((d) => d.id).sort());
      expect(out.unprocessed).toBe(5);
      // Every document exactly once across the three outcomes.
      expect(retryIds.length + 50 + fake.accepted.length).toBe(300);
    });
  });

  it('an aborted batch (shutdown) returns its unsent and in-flight calls for retry', async () => {
    await withSender(0, async (fake, sender) => {
      const docs = Array.from({ length: 100 }, (_, i) => doc(i));
      fake.hangNext();
      const ctrl = new AbortController();
      const p = sender.send(docs, ctrl.signal);
      await new Promise((r) => setTimeout(r, 100));
      ctrl.abort();
      const out = await p;
      expect(out.retry.length).toBe(100);
      expect(fake.accepted.length).toBe(0);
    });
  });
});
