import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../config/load.js';
import { ConfigError } from '../../config/issues.js';
import { otlpReceiverFactory } from '../../receiver/otlpreceiver/factory.js';
import { otlpHttpExporterFactory } from '../otlphttpexporter/factory.js';
import type { OtlpHttpExporterConfig } from '../otlphttpexporter/config.js';
import { otlpExporterFactory } from './factory.js';
import type { OtlpExporterConfig } from './config.js';

const factories = [otlpReceiverFactory, otlpExporterFactory, otlpHttpExporterFactory];

const yaml = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:4318
exporters:
  otlp/backend:
    endpoint: otlp.example.com:4317
    headers:
      Authentication: \${env:OTLP_TOKEN}
    sending_queue:
      num_consumers: 4
      queue_size: 500
      queue_size_bytes: 16MiB
    retry_on_failure:
      max_elapsed_time: 10m
  otlp_http:
    endpoint: https://otlp.example.com
    compression: none
    timeout: 10s
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlp/backend, otlp_http]
`;

describe('OTLP exporters in a collector config file', () => {
  it('load with env substitution, names and aliases as in the Collector', () => {
    const cfg = parseConfigText(yaml, { OTLP_TOKEN: 'Bearer abc' }, { factories });
    const grpcCfg = cfg.exporters.get('otlp/backend')!.config as OtlpExporterConfig;
    expect(grpcCfg).toMatchObject({ address: 'otlp.example.com:4317', useTls: true, compression: 'gzip', headers: { Authentication: 'Bearer abc' } });
    expect(grpcCfg.queue).toMatchObject({ numConsumers: 4, maxBatches: 500, maxBytes: 16 * 1024 * 1024 });
    expect(grpcCfg.retry.maxElapsedTimeMs).toBe(600_000);
    const httpExp = cfg.exporters.get('otlp_http')!;
    expect(httpExp.type).toBe('otlphttp');
    expect(httpExp.config as OtlpHttpExporterConfig).toMatchObject({ url: 'https://otlp.example.com/v1/traces', compression: 'none', timeoutMs: 10_000 });
  });

  it('lists every problem by its path', () => {
    const bad = yaml.replace('otlp.example.com:4317', 'otlp.example.com').replace('compression: none', 'compression: brotli');
    let err: unknown;
    try {
      parseConfigText(bad, { OTLP_TOKEN: 't' }, { factories });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).issues.map((i) => i.path);
    expect(paths).toContain('exporters.otlp/backend.endpoint');
    expect(paths).toContain('exporters.otlp_http.compression');
  });
});
