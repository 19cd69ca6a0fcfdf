import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { nullLogger } from '../../telemetry/logger.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';
import { ambientModel } from '../../../test/fixtures/ambient/load.js';
import type { TraceData } from '../../pdata/model.js';
import { fixtureModel } from '../../../test/fixtures/envoy/load.js';
import { DEFAULT_GENERIC_SERVICE_NAMES, defaultIstioProcessorConfig } from './config.js';
import { istioProcessorFactory } from './factory.js';

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = istioProcessorFactory.parseConfig(raw, 'processors.istio', issues);
  return { cfg, issues };
}

describe('istio processor config', () => {
  it.each([
    ['unset (key with no value)', null],
    ['absent', undefined],
    ['empty mapping', {}],
  ])('%s gives the defaults', (_n, raw) => {
    const { cfg, issues } = parse(raw);
    expect(issues.errors).toEqual([]);
    expect(cfg).toEqual({
      correct_span_kind: true,
      record_direction: true,
      set_peer_service: true,
      convert_status_code: true,
      rename_user_agent: true,
      service_name_from_canonical: true,
      waypoint_destination_service: true,
      waypoint_client_spans: true,
      generic_service_names: [...DEFAULT_GENERIC_SERVICE_NAMES],
    });
  });

  it('reads every key', () => {
    const { cfg, issues } = parse({
      correct_span_kind: false,
      record_direction: false,
      set_peer_service: false,
      convert_status_code: false,
      rename_user_agent: false,
      service_name_from_canonical: false,
      waypoint_destination_service: false,
      waypoint_client_spans: false,
      generic_service_names: ['envoy', 'proxy-*'],
    });
    expect(issues.errors).toEqual([]);
    expect(cfg).toEqual({
      correct_span_kind: false,
      record_direction: false,
      set_peer_service: false,
      convert_status_code: false,
      rename_user_agent: false,
      service_name_from_canonical: false,
      waypoint_destination_service: false,
      waypoint_client_spans: false,
      generic_service_names: ['envoy', 'proxy-*'],
    });
  });

  it.each([
    [{ set_peer_service: 'yes' }, 'processors.istio.set_peer_service: expected true or false, got "yes"'],
    [{ convert_status_code: 1 }, 'processors.istio.convert_status_code: expected true or false, got 1'],
    [{ waypoint_client_spans: 'auto' }, 'processors.istio.waypoint_client_spans: expected true or false, got "auto"'],
    [{ generic_service_names: 'istio-proxy' }, 'processors.istio.generic_service_names: expected a list of strings, got "istio-proxy"'],
    [{ generic_service_names: ['ok', 5] }, 'processors.istio.generic_service_names[1]: expected a string, got 5'],
    [{ set_peer_servise: true }, 'processors.istio: has invalid keys: set_peer_servise'],
    [['correct_span_kind'], 'processors.istio: expected a mapping, got a list'],
    ['on', 'processors.istio: expected a mapping, got "on"'],
  ] as [unknown, string][])('%j → %s', (raw, message) => {
    const { issues } = parse(raw);
    expect(issues.format()).toContain(message);
  });

  it('lists every problem at once and keeps the defaults for the bad keys', () => {
    const { cfg, issues } = parse({ correct_span_kind: 'no', rename_user_agent: 0, record_direction: false });
    expect(issues.errors.map((e) => e.path)).toEqual(['processors.istio.correct_span_kind', 'processors.istio.rename_user_agent']);
    expect(cfg.correct_span_kind).toBe(true);
    expect(cfg.record_direction).toBe(false);
  });
});

describe('istioProcessorFactory', () => {
  it('is the processor type "istio"', () => {
    expect(istioProcessorFactory.kind).toBe('processor');
    expect(istioProcessorFactory.type).toBe('istio');
  });

  it('refuses to create without a next consumer', () => {
    expect(() =>
      istioProcessorFactory.create(defaultIstioProcessorConfig(), { id: 'istio', logger: nullLogger(), metrics: new CollectorMetrics() }),
    ).toThrow(/istio: no next consumer/);
  });

  it('counts corrected spans by rule in the collector metrics, shared by several instances', async () => {
    const metrics = new CollectorMetrics();
    const out: TraceData[] = [];
    const next = { consumeTraces: async (td: TraceData) => void out.push(td) };
    const a = istioProcessorFactory.create(defaultIstioProcessorConfig(), { id: 'istio', logger: nullLogger(), metrics }, next);
    const b = istioProcessorFactory.create(defaultIstioProcessorConfig(), { id: 'istio/edge', logger: nullLogger(), metrics }, next);
    await a.start({ health: { state: 'ready' }, backpressure: { isRefusing: () => false, retryAfterSeconds: () => 0 }, getExtension: () => undefined });
    await a.consumeTraces(fixtureModel('productpage-sidecar'));
    await b.consumeTraces(fixtureModel('ingress-gateway'));
    await a.shutdown(new AbortController().signal);
    expect(out).toHaveLength(2);
    const text = await metrics.text();
    expect(text).toContain('meshtrace_processor_istio_corrected_spans_total{processor="istio",rule="span_kind"} 1');
    expect(text).toContain('meshtrace_processor_istio_corrected_spans_total{processor="istio",rule="peer_service"} 2');
    expect(text).toContain('meshtrace_processor_istio_corrected_spans_total{processor="istio",rule="status_code"} 3');
    expect(text).toContain('meshtrace_processor_istio_corrected_spans_total{processor="istio/edge",rule="span_kind"} 1');
    expect(text).not.toContain('rule="service_name"');
  });

  it('counts waypoint spans moved to their destination service and the CLIENT spans added for them', async () => {
    const metrics = new CollectorMetrics();
    const next = { consumeTraces: async () => {} };
    const p = istioProcessorFactory.create(defaultIstioProcessorConfig(), { id: 'istio', logger: nullLogger(), metrics }, next);
    await p.consumeTraces(ambientModel('bookinfo-ambient-1.29.zipkin'));
    const text = await metrics.text();
    // Three waypoint spans leave `waypoint.bookinfo`; productpage, the known caller of two, gets two CLIENT spans.
    expect(text).toContain('meshtrace_processor_istio_corrected_spans_total{processor="istio",rule="waypoint_service"} 3');
    expect(text).toContain('meshtrace_processor_istio_corrected_spans_total{processor="istio",rule="waypoint_client"} 2');
  });
});
