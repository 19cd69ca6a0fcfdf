import { describe, expect, it } from 'vitest';
import { FakeXray, TEST_CREDENTIALS, TEST_REGION } from '../testdata/fake-xray.js';
import { ApiSender, classifyXrayError, createXrayClient } from './api-sender.js';
import { chunkDocuments, MAX_DOCUMENTS_PER_CALL, MAX_REQUEST_BYTES } from './chunks.js';

describe('chunkDocuments', () => {
  const docs = (sizes: number[]) => sizes.map((bytes, i) => ({ bytes, i }));

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
      if (c.length > 1) expect(c.reduce((s, d) => s + d.bytes + 3, 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
    expect(chunks.flat().map((d) => d.i)).toEqual(docs(sizes as number[]).map((d) => d.i)); // order kept, nothing lost
  });
});

describe('classifyXrayError', () => {
  const err = (name: string, status?: number, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status }, $response: { headers } });

  it.each([
    ['ThrottledException', err('ThrottledException', 429), true, 'throttled'],
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
    ['not an Error at all', 'weird', true, 'network'],
  ])('%s', (_n, e, retryable, reason) => {
    const c = classifyXrayError(e);
    expect(c.retryable).toBe(retryable);
    expect(c.reason).toBe(reason);
    expect(c.detail.length).toBeGreaterThan(3);
  });

  it('honours Retry-After on throttling', () => {
    expect(classifyXrayError(err('ThrottledException', 429, { 'retry-after': '3' })).retryAfterMs).toBe(3000);
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
      const doc = { json: '{"name":"a","id":"0123456789abcdef","trace_id":"1-5f84c7a1-0123456789abcdef01234567","start_time":1,"end_time":2}', bytes: 110, id: '0123456789abcdef' };
      const ok = await sender.send([doc], new AbortController().signal);
      expect(ok.retry).toEqual([]);
      expect(fake.calls.at(-1)?.signatureOk).toBe(true);
      fake.hangNext();
      const started = Date.now();
      const hung = await sender.send([doc], new AbortController().signal);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(hung.retry).toEqual([doc]);
      expect(hung.lastError).toMatch(/requestTimeout/);
    } finally {
      await sender.close();
      await fake.stop();
    }
  });
});
