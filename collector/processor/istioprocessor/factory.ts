/**
 * Factory of the `istio` processor (span correction for Envoy / istio-proxy spans).
 */
import client from 'prom-client';
import type { Factory, TraceConsumer, TracesProcessor } from '../../component/component.js';
import type { CollectorMetrics } from '../../telemetry/metrics.js';
import { parseIstioProcessorConfig, type IstioProcessorConfig } from './config.js';
import { IstioProcessor, type CorrectionCounts } from './processor.js';

const CORRECTED_METRIC = 'meshtrace_processor_istio_corrected_spans_total';

/** One counter per registry, shared by every `istio/<name>` instance (label `processor`). */
function correctedCounter(metrics: CollectorMetrics): client.Counter<'processor' | 'rule'> {
  const existing = metrics.registry.getSingleMetric(CORRECTED_METRIC);
  if (existing) return existing as client.Counter<'processor' | 'rule'>;
  return new client.Counter({
    name: CORRECTED_METRIC,
    help: 'Spans the istio processor changed, by rule (span_kind, direction, peer_service, status_code, user_agent, service_name, waypoint_service), and CLIENT spans it added for waypoint spans (waypoint_client).',
    labelNames: ['processor', 'rule'] as const,
    registers: [metrics.registry],
  });
}

export const istioProcessorFactory: Factory<IstioProcessorConfig, TracesProcessor> = {
  kind: 'processor',
  type: 'istio',
  parseConfig: parseIstioProcessorConfig,
  create(cfg: IstioProcessorConfig, settings, next?: TraceConsumer): TracesProcessor {
    if (!next) throw new Error(`processor ${settings.id}: no next consumer`);
    const counter = correctedCounter(settings.metrics);
    const processor = settings.id;
    // Counted once per request, not per span: prom-client label lookups are not free.
    const onCounts = (c: CorrectionCounts): void => {
      if (c.spanKind) counter.inc({ processor, rule: 'span_kind' }, c.spanKind);
      if (c.direction) counter.inc({ processor, rule: 'direction' }, c.direction);
      if (c.peerService) counter.inc({ processor, rule: 'peer_service' }, c.peerService);
      if (c.statusCode) counter.inc({ processor, rule: 'status_code' }, c.statusCode);
      if (c.userAgent) counter.inc({ processor, rule: 'user_agent' }, c.userAgent);
      if (c.serviceName) counter.inc({ processor, rule: 'service_name' }, c.serviceName);
      if (c.waypointService) counter.inc({ processor, rule: 'waypoint_service' }, c.waypointService);
      if (c.waypointClient) counter.inc({ processor, rule: 'waypoint_client' }, c.waypointClient);
    };
    return new IstioProcessor(cfg, next, { onCounts, logger: settings.logger });
  },
};
