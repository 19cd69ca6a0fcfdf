import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { parseAwsXrayConfig, type AwsXrayConfig } from './config.js';
import { awsXrayExporterFactory } from './factory.js';

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = parseAwsXrayConfig(raw, 'exporters.awsxray', issues);
  return { cfg, issues };
}

describe('awsxray config', () => {
  it('defaults', () => {
    const { cfg, issues } = parse(undefined);
    expect(issues.errors).toEqual([]);
    expect(cfg).toMatchObject<Partial<AwsXrayConfig>>({
      region: undefined,
      endpoint: undefined,
      roleArn: undefined,
      noVerifySsl: false,
      localMode: false,
      indexedAttributes: [],
      indexAllAttributes: false,
      meshAnnotations: true,
      traceIdEpoch: 'rewrite',
      epochWindowMs: 3_600_000,
      epochCache: { max: 100_000, ttlMs: 300_000 },
      epochStore: undefined,
      epochStoreTtlMs: 3_600_000,
      epochStoreTimeoutMs: 100,
      daemonAddress: undefined,
      timeoutMs: 5000,
    });
    expect(cfg.queue.enabled).toBe(true);
    expect(cfg.retry.maxElapsedTimeMs).toBe(300_000);
  });

  it('reads every key', () => {
    const { cfg, issues } = parse({
      region: 'eu-west-1',
      endpoint: 'https://xray.eu-west-1.amazonaws.com',
      role_arn: 'arn:aws:iam::123456789012:role/xray-writer',
      external_id: 'ext',
      no_verify_ssl: true,
      local_mode: true,
      indexed_attributes: ['http.route', 'otel.resource.k8s.namespace.name'],
      index_all_attributes: true,
      mesh_annotations: false,
      trace_id_epoch: 'passthrough',
      epoch_window: '2h',
      epoch_cache: { max: 500, ttl: '1m' },
      epoch_store_ttl: '30m',
      epoch_store_timeout: '50ms',
      timeout: '10s',
      sending_queue: { num_consumers: 3 },
      retry_on_failure: { max_elapsed_time: '1m' },
    });
    expect(issues.errors).toEqual([]);
    expect(cfg).toMatchObject({
      region: 'eu-west-1',
      endpoint: 'https://xray.eu-west-1.amazonaws.com',
      roleArn: 'arn:aws:iam::123456789012:role/xray-writer',
      externalId: 'ext',
      noVerifySsl: true,
      localMode: true,
      indexedAttributes: ['http.route', 'otel.resource.k8s.namespace.name'],
      indexAllAttributes: true,
      meshAnnotations: false,
      traceIdEpoch: 'passthrough',
      epochWindowMs: 7_200_000,
      epochCache: { max: 500, ttlMs: 60_000 },
      epochStoreTtlMs: 1_800_000,
      epochStoreTimeoutMs: 50,
      timeoutMs: 10_000,
    });
    expect(cfg.queue.numConsumers).toBe(3);
    expect(cfg.retry.maxElapsedTimeMs).toBe(60_000);
  });

  it.each([
    ['a mapping', 'x', 'exporters.awsxray', /expected a mapping/],
    ['unknown keys', { regoin: 'us-east-1' }, 'exporters.awsxray', /invalid keys: regoin/],
    ['a bad region', { region: 'mars' }, 'exporters.awsxray.region', /AWS region/],
    ['an endpoint that is no URL', { endpoint: 'xray:443' }, 'exporters.awsxray.endpoint', /URL/],
    ['a bad role ARN', { role_arn: 'xray-writer' }, 'exporters.awsxray.role_arn', /IAM role ARN/],
    ['external_id without role_arn', { external_id: 'e' }, 'exporters.awsxray.external_id', /role_arn/],
    ['indexed_attributes not a list', { indexed_attributes: 'a' }, 'exporters.awsxray.indexed_attributes', /list of strings/],
    ['an unknown epoch mode', { trace_id_epoch: 'fix' }, 'exporters.awsxray.trace_id_epoch', /rewrite, passthrough/],
    ['a window below a minute', { epoch_window: '10s' }, 'exporters.awsxray.epoch_window', /at least/],
    ['a window above 7 days', { epoch_window: '200h' }, 'exporters.awsxray.epoch_window', /at most/],
    ['a bare-number window', { epoch_window: 3600 }, 'exporters.awsxray.epoch_window', /duration/],
    ['epoch_cache.max zero', { epoch_cache: { max: 0 } }, 'exporters.awsxray.epoch_cache.max', /at least 1/],
    ['epoch_cache unknown key', { epoch_cache: { size: 1 } }, 'exporters.awsxray.epoch_cache', /invalid keys: size/],
    ['a non-redis store', { epoch_store: 'http://cache:6379' }, 'exporters.awsxray.epoch_store', /redis:\/\/host:port/],
    ['a store without host', { epoch_store: 'redis://' }, 'exporters.awsxray.epoch_store', /redis:\/\/host:port/],
    ['a non-redis store with a password, not echoed', { epoch_store: 'http://:s3cret@cache:6379' }, 'exporters.awsxray.epoch_store', /^(?!.*s3cret).*got "http:\/\/\*\*\*@cache:6379"$/],
    ['a daemon address without port', { daemon_address: 'localhost' }, 'exporters.awsxray.daemon_address', /host:port/],
    ['a bad queue value', { sending_queue: { num_consumers: 0 } }, 'exporters.awsxray.sending_queue.num_consumers', /at least 1/],
  ])('refuses %s with an error at its path', (_n, raw, path, msg) => {
    const { issues } = parse(raw);
    const e = issues.errors.find((x) => x.path === path);
    expect(e, JSON.stringify(issues.errors)).toBeDefined();
    expect(e!.message).toMatch(msg);
  });

  it('collects every problem at once', () => {
    const { issues } = parse({ region: 'x', epoch_window: '1s', daemon_address: 'nope', trace_id_epoch: 1 });
    expect(issues.errors.map((e) => e.path.split('.').pop()).sort()).toEqual(['daemon_address', 'epoch_window', 'region', 'trace_id_epoch']);
  });

  it.each([
    ['num_workers (otelcol) is accepted with a hint', { num_workers: 8 }, 'num_workers', /num_consumers/],
    ['proxy_address is accepted with a warning', { proxy_address: 'http://p:3128' }, 'proxy_address', /not supported/],
    ['passthrough with a store warns', { trace_id_epoch: 'passthrough', epoch_store: 'redis://r:6379' }, 'trace_id_epoch', /not used/],
    ['API keys with daemon_address warn', { daemon_address: '127.0.0.1:2000', region: 'us-east-1' }, 'region', /ignored with daemon_address/],
  ])('%s', (_n, raw, key, msg) => {
    const { issues } = parse(raw);
    expect(issues.errors).toEqual([]);
    const w = issues.warnings.find((x) => x.path === `exporters.awsxray.${key}`);
    expect(w, JSON.stringify(issues.warnings)).toBeDefined();
    expect(w!.message).toMatch(msg);
  });

  it('otelcol’s empty role_arn default means none', () => {
    const { cfg, issues } = parse({ role_arn: '' });
    expect(issues.errors).toEqual([]);
    expect(cfg.roleArn).toBeUndefined();
  });

  it('the factory is `awsxray` with alias `xray`', () => {
    expect(awsXrayExporterFactory.kind).toBe('exporter');
    expect(awsXrayExporterFactory.type).toBe('awsxray');
    expect(awsXrayExporterFactory.aliases).toEqual(['xray']);
    const issues = new ConfigIssues();
    expect(awsXrayExporterFactory.parseConfig({ region: 'us-east-1' }, 'exporters.xray', issues).region).toBe('us-east-1');
  });
});
