/**
 * The shared epoch store on Redis (ioredis): `SET key candidate NX EX ttl` then `GET key` for
 * every trace of a batch in one pipeline, so the first replica to see a trace decides its epoch
 * for all. Built never to stall the pipeline: no offline queue (commands fail at once while
 * disconnected), no per-command retries, a bounded command timeout, and reconnection in the
 * background. Every failure rejects, and the resolver falls back to the deterministic rule.
 */
import { Redis } from 'ioredis';
import { keepStringPrototypeFast } from '../../../runtime/fast-string-prototype.js';
import type { EpochStore } from './epoch-resolver.js';

// ioredis declares `class VerbatimString extends String` at load time, which leaves every string
// operation in the process on V8's slow path (runtime/fast-string-prototype.ts): undo it here.
keepStringPrototypeFast();

export interface RedisEpochStoreOptions {
  /**
   * `redis://[user:pass@]host:port[/db]` (or `rediss://` for TLS). A Redis that requires AUTH
   * (the deployment's does) takes its password here, `redis://:PASSWORD@host:port`, or with an
   * ACL user `redis://USER:PASSWORD@host:port`; percent-encode reserved characters in either.
   */
  url: string;
  /** Key lifetime: longer than a trace lasts plus its delivery delay. */
  ttlSec: number;
  /** Upper bound on one round trip. */
  timeoutMs: number;
  keyPrefix?: string;
  onError?: (err: Error) => void;
}

export class RedisEpochStore implements EpochStore {
  private readonly redis: Redis;
  private readonly ttlSec: number;
  private readonly timeoutMs: number;
  private readonly prefix: string;

  constructor(opts: RedisEpochStoreOptions) {
    this.ttlSec = Math.max(1, Math.ceil(opts.ttlSec));
    this.timeoutMs = opts.timeoutMs;
    this.prefix = opts.keyPrefix ?? 'meshtrace:xray-epoch:';
    this.redis = new Redis(opts.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.timeoutMs,
      connectTimeout: Math.max(opts.timeoutMs, 1000),
      // Keep trying in the background, at most every 2 s: the pipeline never waits for it.
      retryStrategy: (times) => Math.min(100 * times, 2000),
    });
    // Without a listener ioredis reports connection errors as unhandled 'error' events.
    this.redis.on('error', (err: Error) => opts.onError?.(explainRedisError(err)));
  }

  async claim(entries: ReadonlyArray<readonly [string, number]>): Promise<number[]> {
    if (entries.length === 0) return [];
    if (this.redis.status !== 'ready') throw new Error(`redis epoch store not connected (${this.redis.status})`);
    const p = this.redis.pipeline();
    for (const [hex, candidate] of entries) {
      const key = this.prefix + hex;
      p.set(key, String(candidate), 'EX', this.ttlSec, 'NX');
      p.get(key);
    }
    const results = await withTimeout(p.exec(), this.timeoutMs);
    if (!results) throw new Error('redis pipeline returned nothing');
    const out: number[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const setErr = results[2 * i][0];
      if (setErr) throw setErr; // e.g. READONLY replica, OOM: the value may not be shared
      const [err, value] = results[2 * i + 1];
      if (err) throw err;
      const n = typeof value === 'string' ? Number(value) : NaN;
      out[i] = Number.isFinite(n) ? n : entries[i][1];
    }
    return out;
  }

  async close(): Promise<void> {
    try {
      await withTimeout(this.redis.quit(), this.timeoutMs);
    } catch {
      /* already gone */
    }
    this.redis.disconnect();
  }

  /** Resolves once connected (tests, start-up logs); rejects after `ms`. */
  async waitReady(ms: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await withTimeout(
      new Promise<void>((resolve) => this.redis.once('ready', () => resolve())),
      ms,
    );
  }
}

/** Redis' replies when AUTH is missing or wrong (requirepass and ACL users, Redis 6+ and older). */
const AUTH_FAILURE = /^(NOAUTH|WRONGPASS)\b|^ERR (invalid password|AUTH <password> called without any password configured|Client sent AUTH, but no password is set)/;

/**
 * An authentication failure as an error that says what to do. The message never contains the
 * URL (it may hold the password); Redis' own words are kept after the hint.
 */
export function explainRedisError(err: Error): Error {
  if (!AUTH_FAILURE.test(err.message)) return err;
  const e = new Error(
    'redis epoch store: authentication failed; give the Redis password in epoch_store as ' +
      `redis://:PASSWORD@host:port (redis://USER:PASSWORD@host:port for an ACL user) (redis said: ${err.message})`,
  );
  e.name = 'RedisAuthError';
  return e;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis epoch store: no answer within ${ms}ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
