/**
 * `exporters.awsxray` (alias `xray`). Key names follow otelcol-contrib's awsxrayexporter where it
 * has them (region, endpoint, role_arn, indexed_attributes, index_all_attributes, local_mode,
 * no_verify_ssl, plus exporterhelper's sending_queue / retry_on_failure / timeout); the
 * trace-ID epoch keys and daemon_address are ours.
 */
import type { ConfigIssues } from '../../config/issues.js';
import {
  join,
  readBool,
  readDuration,
  readEndpoint,
  readEnum,
  readInt,
  readObject,
  readString,
  readStringList,
  readUrl,
  show,
} from '../../config/validate.js';
import { readQueueConfig, readRetryConfig, readTimeout, type QueueConfig, type RetryConfig } from '../exporterhelper/index.js';
import type { TraceIdEpochMode } from './traceid/epoch.js';

export interface AwsXrayConfig {
  region?: string;
  endpoint?: string;
  roleArn?: string;
  externalId?: string;
  noVerifySsl: boolean;
  localMode: boolean;
  indexedAttributes: string[];
  indexAllAttributes: boolean;
  meshAnnotations: boolean;
  traceIdEpoch: TraceIdEpochMode;
  epochWindowMs: number;
  epochCache: { max: number; ttlMs: number };
  epochStore?: string;
  epochStoreTtlMs: number;
  epochStoreTimeoutMs: number;
  /** `host:port` of an X-Ray daemon / CloudWatch agent: send UDP instead of calling the API. */
  daemonAddress?: string;
  timeoutMs: number;
  queue: QueueConfig;
  retry: RetryConfig;
}

const KEYS = [
  'region', 'endpoint', 'role_arn', 'external_id', 'no_verify_ssl', 'local_mode',
  'indexed_attributes', 'index_all_attributes', 'mesh_annotations',
  'trace_id_epoch', 'epoch_window', 'epoch_cache', 'epoch_store', 'epoch_store_ttl', 'epoch_store_timeout',
  'daemon_address', 'timeout', 'sending_queue', 'retry_on_failure',
] as const;

/** otelcol-contrib keys we accept but that change nothing here (with the reason in the warning). */
const IGNORED: Record<string, string> = {
  num_workers: 'use sending_queue.num_consumers instead',
  proxy_address: 'not supported; the AWS SDK honours HTTPS_PROXY only through a custom agent, set none',
  aws_log_groups: 'not supported (CloudWatch Logs correlation)',
  telemetry: 'not supported (X-Ray telemetry records)',
  resource_arn: 'not supported',
  max_retries: 'use retry_on_failure instead',
};

export const DEFAULT_EPOCH_WINDOW_MS = 3_600_000;

const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function parseAwsXrayConfig(raw: unknown, path: string, issues: ConfigIssues): AwsXrayConfig {
  const o = readObject(raw, path, issues, KEYS, IGNORED);
  const p = (k: string) => join(path, k);
  const cfg: AwsXrayConfig = {
    region: readString(o.region, p('region'), issues, undefined, { nonEmpty: true }),
    endpoint: readUrl(o.endpoint, p('endpoint'), issues, undefined),
    roleArn: readString(o.role_arn, p('role_arn'), issues, undefined),
    externalId: readString(o.external_id, p('external_id'), issues, undefined, { nonEmpty: true }),
    noVerifySsl: readBool(o.no_verify_ssl, p('no_verify_ssl'), issues, false),
    localMode: readBool(o.local_mode, p('local_mode'), issues, false),
    indexedAttributes: readStringList(o.indexed_attributes, p('indexed_attributes'), issues),
    indexAllAttributes: readBool(o.index_all_attributes, p('index_all_attributes'), issues, false),
    meshAnnotations: readBool(o.mesh_annotations, p('mesh_annotations'), issues, true),
    traceIdEpoch: readEnum(o.trace_id_epoch, p('trace_id_epoch'), issues, ['rewrite', 'passthrough'] as const, 'rewrite'),
    // Far below 28 days so every rewritten epoch stays acceptable to X-Ray.
    epochWindowMs: readDuration(o.epoch_window, p('epoch_window'), issues, DEFAULT_EPOCH_WINDOW_MS, { min: 60_000, max: 7 * 86_400_000 }),
    epochCache: { max: 100_000, ttlMs: 300_000 },
    epochStore: undefined,
    epochStoreTtlMs: readDuration(o.epoch_store_ttl, p('epoch_store_ttl'), issues, 3_600_000, { min: 1000 }),
    epochStoreTimeoutMs: readDuration(o.epoch_store_timeout, p('epoch_store_timeout'), issues, 100, { min: 1, max: 10_000 }),
    daemonAddress: readEndpoint(o.daemon_address, p('daemon_address'), issues, undefined),
    timeoutMs: readTimeout(o.timeout, p('timeout'), issues),
    queue: readQueueConfig(o.sending_queue, p('sending_queue'), issues),
    retry: readRetryConfig(o.retry_on_failure, p('retry_on_failure'), issues),
  };
  if (cfg.region !== undefined && !REGION.test(cfg.region)) {
    issues.error(p('region'), `expected an AWS region like us-east-1, got ${JSON.stringify(cfg.region)}`);
  }
  if (cfg.roleArn !== undefined && cfg.roleArn !== '' && !ROLE_ARN.test(cfg.roleArn)) {
    issues.error(p('role_arn'), `expected an IAM role ARN like arn:aws:iam::123456789012:role/name, got ${JSON.stringify(cfg.roleArn)}`);
  }
  if (cfg.roleArn === '') cfg.roleArn = undefined; // otelcol's default is ""
  if (cfg.externalId !== undefined && cfg.roleArn === undefined) {
    issues.error(p('external_id'), 'only meaningful with role_arn');
  }

  const cache = readObject(o.epoch_cache, p('epoch_cache'), issues, ['max', 'ttl']);
  cfg.epochCache.max = readInt(cache.max, join(p('epoch_cache'), 'max'), issues, cfg.epochCache.max, { min: 1, max: 10_000_000 });
  cfg.epochCache.ttlMs = readDuration(cache.ttl, join(p('epoch_cache'), 'ttl'), issues, cfg.epochCache.ttlMs, { min: 1000, allowZero: false });

  const store = readString(o.epoch_store, p('epoch_store'), issues, undefined, { nonEmpty: true });
  if (store !== undefined) {
    let ok = false;
    try {
      const u = new URL(store);
      ok = (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
    } catch {
      /* reported below */
    }
    if (ok) cfg.epochStore = store;
    // The URL may carry the Redis password (redis://:PASSWORD@...): never echo it.
    else issues.error(p('epoch_store'), `expected redis://host:port (or rediss://), got ${show(store)}`);
  }
  if (cfg.traceIdEpoch === 'passthrough' && (cfg.epochStore !== undefined || o.epoch_cache !== undefined)) {
    issues.warn(p('trace_id_epoch'), 'passthrough: epoch_store and epoch_cache are not used');
  }

  if (cfg.daemonAddress !== undefined) {
    for (const k of ['endpoint', 'role_arn', 'region', 'no_verify_ssl'] as const) {
      if (o[k] !== undefined && o[k] !== null) issues.warn(p(k), 'ignored with daemon_address: the daemon signs and sends');
    }
  }
  return cfg;
}
