/**
 * The epoch store against a real Redis that requires AUTH, as the deployment's does
 * (manifests/redis: requirepass from a Secret): the password in the URL (`redis://:PW@…`) or an
 * ACL user (`redis://USER:PW@…`) works; a missing or wrong password fails every claim with an
 * error that says what to do and never shows the password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisTestServer, type RedisTestServer } from '../../../../scripts/redis-test-server.js';
import { explainRedisError, RedisEpochStore } from './redis-epoch-store.js';

const stores: RedisEpochStore[] = [];
function store(url: string, onError?: (e: Error) => void): RedisEpochStore {
  const s = new RedisEpochStore({ url, ttlSec: 60, timeoutMs: 500, onError });
  stores.push(s);
  return s;
}

/** The first error the store reports (its connection attempts run in the background). */
function firstError(url: string): Promise<{ s: RedisEpochStore; err: Error }> {
  return new Promise((resolve) => {
    let s: RedisEpochStore | undefined;
    let pending: Error | undefined;
    s = store(url, (err) => { if (s) resolve({ s, err }); else pending ??= err; });
    if (pending) resolve({ s, err: pending });
  });
}

describe('RedisEpochStore with AUTH', () => {
  let redis: RedisTestServer;
  let acl: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedisTestServer(); // requirepass, a random password
    acl = await startRedisTestServer({ username: 'meshtrace', password: 'p@ss/w:rd' });
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
    await acl?.stop();
  });

  it('the test server really requires a password', () => {
    expect(redis.password).toMatch(/^[0-9a-f]{32}$/);
    expect(redis.url).toBe(`redis://:${redis.password}@127.0.0.1:${redis.port}`);
  });

  it('redis://:PASSWORD@host:port claims epochs', async () => {
    const s = store(redis.url);
    await s.waitReady(3000);
    expect(await s.claim([['aa'.repeat(16), 1000]])).toEqual([1000]);
    expect(await store(redis.url).waitReady(3000).then(() => stores.at(-1)!.claim([['aa'.repeat(16), 2000]]))).toEqual([1000]);
  });

  it('an ACL user with a percent-encoded password: redis://USER:PASSWORD@host:port', async () => {
    expect(acl.url).toBe(`redis://meshtrace:p%40ss%2Fw%3Ard@127.0.0.1:${acl.port}`);
    const s = store(acl.url);
    await s.waitReady(3000);
    expect(await s.claim([['bb'.repeat(16), 3000]])).toEqual([3000]);
  });

  it.each([
    ['no password', () => redis.bareUrl],
    ['a wrong password', () => `redis://:wrong-${redis.password}@127.0.0.1:${redis.port}`],
    ['a wrong ACL password', () => `redis://meshtrace:nope@127.0.0.1:${acl.port}`],
  ])('%s: every claim fails, the error says how to give the password and shows none', async (_name, url) => {
    const { s, err } = await firstError(url());
    expect(err.name).toBe('RedisAuthError');
    expect(err.message).toMatch(/authentication failed; give the Redis password in epoch_store as redis:\/\/:PASSWORD@host:port/);
    expect(err.message).toMatch(/redis said: (NOAUTH|WRONGPASS)/);
    expect(err.message).not.toContain(redis.password!);
    expect(err.message).not.toContain('nope');
    await expect(s.claim([['cc'.repeat(16), 1]])).rejects.toThrow(/not connected/);
  });

  it('other errors pass through unchanged', () => {
    const e = new Error('connect ECONNREFUSED 127.0.0.1:1');
    expect(explainRedisError(e)).toBe(e);
    expect(explainRedisError(new Error('ERR invalid password')).name).toBe('RedisAuthError');
  });
});
