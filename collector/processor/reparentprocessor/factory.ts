/**
 * Factory of the `reparent` processor: healed CLIENT spans under their SERVER span, a healed
 * request's own trace joined to the healed trace.
 */
import client from 'prom-client';
import type { Factory, TraceConsumer } from '../../component/component.js';
import type { CollectorMetrics } from '../../telemetry/metrics.js';
import { parseReparentConfig, type ReparentConfig } from './config.js';
import { ReparentProcessor, type ReparentObserver } from './processor.js';

const SPANS_METRIC = 'meshtrace_processor_reparent_spans_total';
const PENDING_METRIC = 'meshtrace_processor_reparent_pending_spans';
const SERVERS_METRIC = 'meshtrace_processor_reparent_server_spans';
const FORGOTTEN_METRIC = 'meshtrace_processor_reparent_server_spans_forgotten_total';
const ALIAS_SPANS_METRIC = 'meshtrace_processor_reparent_trace_alias_spans_total';
const ALIASES_METRIC = 'meshtrace_processor_reparent_trace_aliases';
const ALIASES_FORGOTTEN_METRIC = 'meshtrace_processor_reparent_trace_aliases_forgotten_total';

/** The processor's metrics (shared by every `reparent/<name>` instance of one registry). */
export function reparentObserver(metrics: CollectorMetrics, processor: string): ReparentObserver {
  const registry = metrics.registry;
  // One metric of each name per registry, shared by every instance (label `processor`).
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): client.Counter<L> =>
    (registry.getSingleMetric(name) as client.Counter<L> | undefined) ?? new client.Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string): client.Gauge<'processor'> =>
    (registry.getSingleMetric(name) as client.Gauge<'processor'> | undefined) ?? new client.Gauge({ name, help, labelNames: ['processor'] as const, registers: [registry] });
  const byOutcome = ['processor', 'outcome'] as const;
  const byProcessor = ['processor'] as const;
  const spans = counter(
    SPANS_METRIC,
    'Healed CLIENT spans (meshtrace.healed) passed on, by outcome: reparented, unmatched (no SERVER span within wait_duration), evicted (max_pending_spans reached), shutdown, unkeyed (not a CLIENT span or no node_id / guid:x-request-id).',
    byOutcome,
  );
  const pending = gauge(PENDING_METRIC, 'Healed spans held waiting for their SERVER span (bounded by max_pending_spans).');
  const servers = gauge(SERVERS_METRIC, 'SERVER spans remembered for healed spans that arrive after them (bounded by max_server_spans).');
  const forgotten = counter(
    FORGOTTEN_METRIC,
    'SERVER spans forgotten before wait_duration because max_server_spans was reached (raise it if this grows).',
    byProcessor,
  );
  const aliasSpans = counter(
    ALIAS_SPANS_METRIC,
    'Spans moved into the healed trace their trace belongs to, by outcome: tagged (by their own meshtrace.healed_trace), learned (by an alias learned from another span), matched (a healed span put under its SERVER span in another trace); and passed_before_alias: spans not moved because they went out before their trace\'s alias was known (an estimate).',
    byOutcome,
  );
  const aliases = gauge(ALIASES_METRIC, 'Trace aliases (a healed request\'s own trace → the healed trace) remembered (bounded by max_trace_aliases).');
  const aliasesForgotten = counter(
    ALIASES_FORGOTTEN_METRIC,
    'Trace aliases forgotten before trace_alias_ttl because max_trace_aliases was reached (later spans of those traces stay apart; raise it if this grows).',
    byProcessor,
  );
  let lastForgotten = 0;
  let lastAliasesForgotten = 0;
  return {
    outcome: (outcome, count) => spans.inc({ processor, outcome }, count),
    aliasSpans: (outcome, count) => aliasSpans.inc({ processor, outcome }, count),
    sizes: (p, s, f, a, af) => {
      pending.set({ processor }, p);
      servers.set({ processor }, s);
      aliases.set({ processor }, a);
      if (f > lastForgotten) forgotten.inc({ processor }, f - lastForgotten);
      lastForgotten = f;
      if (af > lastAliasesForgotten) aliasesForgotten.inc({ processor }, af - lastAliasesForgotten);
      lastAliasesForgotten = af;
    },
  };
}

export const reparentProcessorFactory: Factory<ReparentConfig, ReparentProcessor> = {
  kind: 'processor',
  type: 'reparent',
  parseConfig: parseReparentConfig,
  create(cfg: ReparentConfig, settings, next?: TraceConsumer): ReparentProcessor {
    if (!next) throw new Error(`processor ${settings.id}: no next consumer`);
    return new ReparentProcessor(cfg, settings, next, reparentObserver(settings.metrics, settings.id));
  },
};
