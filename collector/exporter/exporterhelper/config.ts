/**
 * Readers for the config keys every queued exporter shares, with the OpenTelemetry Collector's
 * names and defaults (exporterhelper: `sending_queue`, `retry_on_failure`, `timeout`), so a
 * user's existing otelcol exporter block works unchanged. Pure functions: every problem goes to
 * ConfigIssues with its full path; they never throw.
 *
 * Two byte/span bounds are added to otelcol's batch-count bound because a batch can hold one span
 * or 8192 of them: the queue must stay bounded in memory whatever the batch size.
 */
import type { ConfigIssues } from '../../config/issues.js';
import type { ExtensionRef } from '../../component/component.js';
import { join, readBool, readDuration, readEnum, readInt, readNumber, readObject, readSize, readString } from '../../config/validate.js';

export interface QueueConfig {
  enabled: boolean;
  /** Fixed number of concurrent senders (otelcol `num_consumers`, default 10). */
  numConsumers: number;
  /** Bound in batches (otelcol `queue_size` with the default `sizer: requests`, default 1000). */
  maxBatches: number;
  /** Bound in spans (`queue_size_spans`, or `queue_size` with `sizer: items`). */
  maxSpans: number;
  /** Bound in estimated wire bytes (`queue_size_bytes`, or `queue_size` with `sizer: bytes`). */
  maxBytes: number;
  /**
   * otelcol's `storage`: the ID of a storage extension (`file_storage`, `file_storage/queue`)
   * that makes the queue persistent. Undefined: in memory only.
   */
  storage?: string;
}

export interface RetryConfig {
  enabled: boolean;
  initialIntervalMs: number;
  randomizationFactor: number;
  multiplier: number;
  maxIntervalMs: number;
  /** 0 = retry forever (otelcol semantics); the bounded queue then pushes back on receivers. */
  maxElapsedTimeMs: number;
}

export const DEFAULT_QUEUE: Readonly<QueueConfig> = Object.freeze({
  enabled: true,
  numConsumers: 10,
  maxBatches: 1000,
  maxSpans: 100_000,
  maxBytes: 64 * 1024 * 1024,
});

export const DEFAULT_RETRY: Readonly<RetryConfig> = Object.freeze({
  enabled: true,
  initialIntervalMs: 5_000,
  randomizationFactor: 0.5,
  multiplier: 1.5,
  maxIntervalMs: 30_000,
  maxElapsedTimeMs: 300_000,
});

export const DEFAULT_TIMEOUT_MS = 5_000;

const QUEUE_KEYS = [
  'enabled', 'num_consumers', 'queue_size', 'sizer', 'queue_size_spans', 'queue_size_bytes',
  'storage', 'blocking', 'block_on_overflow', 'wait_for_result',
] as const;

/**
 * `sending_queue` at `path` (e.g. `exporters.otlp.sending_queue`). Keys: enabled, num_consumers,
 * queue_size (+ sizer: requests|items|bytes like otelcol), queue_size_spans, queue_size_bytes,
 * storage (the ID of a storage extension: a persistent queue, as in otelcol). otelcol's blocking
 * modes are not supported: a warning says so.
 */
export function readQueueConfig(
  raw: unknown,
  path: string,
  issues: ConfigIssues,
  /** An exporter's own defaults (e.g. smaller bounds when it queues decoded objects). */
  defaults: Partial<QueueConfig> = {},
): QueueConfig {
  const cfg: QueueConfig = { ...DEFAULT_QUEUE, ...defaults };
  const o = readObject(raw, path, issues, QUEUE_KEYS);
  cfg.enabled = readBool(o.enabled, join(path, 'enabled'), issues, cfg.enabled);
  cfg.numConsumers = readInt(o.num_consumers, join(path, 'num_consumers'), issues, cfg.numConsumers, { min: 1, max: 1000 });
  const sizer = readEnum(o.sizer, join(path, 'sizer'), issues, ['requests', 'items', 'bytes'] as const, 'requests');
  const size = readInt(o.queue_size, join(path, 'queue_size'), issues, undefined, { min: 1 });
  if (size !== undefined) {
    if (sizer === 'items') cfg.maxSpans = size;
    else if (sizer === 'bytes') cfg.maxBytes = size;
    else cfg.maxBatches = size;
  }
  cfg.maxSpans = readInt(o.queue_size_spans, join(path, 'queue_size_spans'), issues, cfg.maxSpans, { min: 1 });
  cfg.maxBytes = readSize(o.queue_size_bytes, join(path, 'queue_size_bytes'), issues, cfg.maxBytes, { min: 1 });
  const storage = readString(o.storage, join(path, 'storage'), issues, undefined, { nonEmpty: true });
  if (storage !== undefined) {
    if (cfg.enabled) cfg.storage = storage;
    else issues.error(join(path, 'storage'), 'a persistent queue needs the queue: remove `enabled: false` or `storage`');
  }
  for (const k of ['blocking', 'block_on_overflow', 'wait_for_result'] as const) {
    if (o[k] !== undefined) issues.warn(join(path, k), 'not supported and ignored: a full queue refuses new data retryably (back-pressure to the client)');
  }
  return cfg;
}

/**
 * The extension references of a `sending_queue` (its `storage`), for an exporter factory's
 * `extensionRefs(cfg, path)`: the config loader then checks that it names an enabled storage
 * extension, with the error at `<path>.sending_queue.storage`.
 */
export function queueExtensionRefs(queue: QueueConfig, exporterPath: string): ExtensionRef[] {
  return queue.storage === undefined ? [] : [{ path: join(exporterPath, 'sending_queue.storage'), id: queue.storage, capability: 'storage' }];
}

const RETRY_KEYS = ['enabled', 'initial_interval', 'randomization_factor', 'multiplier', 'max_interval', 'max_elapsed_time'] as const;

/** `retry_on_failure` at `path`, otelcol names and defaults (5s, 0.5, 1.5, 30s, 300s). */
export function readRetryConfig(raw: unknown, path: string, issues: ConfigIssues): RetryConfig {
  const cfg: RetryConfig = { ...DEFAULT_RETRY };
  const o = readObject(raw, path, issues, RETRY_KEYS);
  cfg.enabled = readBool(o.enabled, join(path, 'enabled'), issues, cfg.enabled);
  cfg.initialIntervalMs = readDuration(o.initial_interval, join(path, 'initial_interval'), issues, cfg.initialIntervalMs, { allowZero: false });
  cfg.randomizationFactor = readNumber(o.randomization_factor, join(path, 'randomization_factor'), issues, cfg.randomizationFactor, { min: 0, max: 1 });
  cfg.multiplier = readNumber(o.multiplier, join(path, 'multiplier'), issues, cfg.multiplier, { min: 1 });
  cfg.maxIntervalMs = readDuration(o.max_interval, join(path, 'max_interval'), issues, cfg.maxIntervalMs, { allowZero: false });
  cfg.maxElapsedTimeMs = readDuration(o.max_elapsed_time, join(path, 'max_elapsed_time'), issues, cfg.maxElapsedTimeMs);
  if (cfg.maxIntervalMs < cfg.initialIntervalMs) {
    issues.error(join(path, 'max_interval'), `must not be smaller than initial_interval (${cfg.initialIntervalMs}ms)`);
    cfg.maxIntervalMs = cfg.initialIntervalMs;
  }
  return cfg;
}

/** Per-attempt `timeout` (default 5s; otelcol's exporterhelper key). 0 = no timeout. */
export function readTimeout(raw: unknown, path: string, issues: ConfigIssues, dflt = DEFAULT_TIMEOUT_MS): number {
  return readDuration(raw, path, issues, dflt);
}

/** Keys the three readers above own, for exporters that check for unknown keys themselves. */
export const SHARED_EXPORTER_KEYS = ['sending_queue', 'retry_on_failure', 'timeout'] as const;
