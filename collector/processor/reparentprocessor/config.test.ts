import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { parseConfigText } from '../../config/load.js';
import { defaultReparentConfig, parseReparentConfig } from './config.js';

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = parseReparentConfig(raw, 'processors.reparent', issues);
  return { cfg, issues };
}

describe('reparent processor config', () => {
  it.each([['unset', null], ['absent', undefined], ['empty mapping', {}]])('%s gives the defaults', (_n, raw) => {
    const { cfg, issues } = parse(raw);
    expect(issues.errors).toEqual([]);
    expect(cfg).toEqual({ waitMs: 10_000, maxPendingSpans: 10_000, maxServerSpans: 50_000, maxTraceAliases: 50_000, traceAliasTtlMs: 300_000 });
    expect(cfg).toEqual(defaultReparentConfig);
  });

  it('reads every key', () => {
    const { cfg, issues } = parse({ wait_duration: '30s', max_pending_spans: 500, max_server_spans: 200000, max_trace_aliases: 7, trace_alias_ttl: '1m' });
    expect(issues.errors).toEqual([]);
    expect(cfg).toEqual({ waitMs: 30_000, maxPendingSpans: 500, maxServerSpans: 200_000, maxTraceAliases: 7, traceAliasTtlMs: 60_000 });
  });

  it.each([
    [{ wait_duration: 0 }, 'processors.reparent.wait_duration: must be greater than 0'],
    [{ wait_duration: '10' }, 'processors.reparent.wait_duration: expected a duration like 200ms, 5s or 1m, got "10"'],
    [{ max_pending_spans: 0 }, 'processors.reparent.max_pending_spans: must be at least 1, got 0'],
    [{ max_server_spans: 1.5 }, 'processors.reparent.max_server_spans: expected an integer, got 1.5'],
    [{ max_trace_aliases: 0 }, 'processors.reparent.max_trace_aliases: must be at least 1, got 0'],
    [{ trace_alias_ttl: 0 }, 'processors.reparent.trace_alias_ttl: must be greater than 0'],
    [{ trace_alias_ttl: 'soon' }, 'processors.reparent.trace_alias_ttl: expected a duration like 200ms, 5s or 1m, got "soon"'],
    [{ wait: '1s' }, 'processors.reparent: has invalid keys: wait'],
    ['on', 'processors.reparent: expected a mapping, got "on"'],
  ] as [unknown, string][])('%j → %s', (raw, message) => {
    expect(parse(raw).issues.format()).toContain(message);
  });

  it('is a registered processor type that a config can name, with a name suffix too', () => {
    const cfg = parseConfigText(`
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { istio: {}, reparent: {}, reparent/slow: { wait_duration: 1m } }
exporters: { debug: {} }
service: { pipelines: { traces: { receivers: [otlp], processors: [istio, reparent/slow], exporters: [debug] } } }
`, {});
    expect(cfg.processors.get('reparent/slow')!.config).toEqual({ ...defaultReparentConfig, waitMs: 60_000 });
  });
});
