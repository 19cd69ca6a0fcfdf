/**
 * Fan-outs at the two branching points of the pipeline graph.
 *
 * ExporterFanOut (end of a pipeline → its exporters), per the delivery semantics: it first asks
 * every exporter hasCapacity() and refuses retryably before handing data to any, so a client's
 * retry cannot duplicate data into the exporters that had room. Then all exporters get the data
 * concurrently; one failing exporter never blocks or fails the others: if at least one took the
 * data, the call succeeds and the spans a failing exporter refused are counted as dropped for it
 * (reason `exporter_<reason>`). Only when every exporter refused is the refusal passed upstream
 * (retryable if any refusal was), so the batch processor / client keeps the data.
 *
 * PipelineFanOut (a receiver used by several pipelines): every pipeline gets its own copy except
 * the last (processors such as istio modify spans in place), all run concurrently. A retryable
 * refusal from any pipeline is passed upstream so nothing is lost; the pipelines that accepted
 * may then see the client's retry again (at-least-once, as the Collector's fan-out). Permanent
 * refusals alongside acceptances are counted as dropped for that pipeline.
 */
import type { TraceConsumer, TracesExporter } from '../component/component.js';
import { ConsumerError } from '../component/consumer-error.js';
import { spanCount, type TraceData } from '../pdata/model.js';
import { estimateTraceBytes } from '../exporter/exporterhelper/sizes.js';
import { cloneTraceData } from '../pdata/clone.js';
import type { Logger } from '../telemetry/logger.js';
import type { CollectorMetrics } from '../telemetry/metrics.js';

export interface NamedExporter {
  id: string;
  exporter: TracesExporter;
}

export class ExporterFanOut implements TraceConsumer {
  private readonly anyCapacityCheck: boolean;

  constructor(
    private readonly exporters: NamedExporter[],
    private readonly logger: Logger,
    private readonly metrics: CollectorMetrics,
  ) {
    this.anyCapacityCheck = exporters.some((e) => typeof e.exporter.hasCapacity === 'function');
  }

  async consumeTraces(td: TraceData): Promise<void> {
    const list = this.exporters;
    if (list.length === 1) return list[0].exporter.consumeTraces(td);
    const n = spanCount(td);
    if (this.anyCapacityCheck) {
      const bytes = estimateTraceBytes(td);
      for (const e of list) {
        if (e.exporter.hasCapacity && !e.exporter.hasCapacity(n, bytes)) {
          throw ConsumerError.retryable(`exporter ${e.id} has no room in its sending queue`, 'queue_full');
        }
      }
    }
    const results = await Promise.allSettled(list.map((e) => e.exporter.consumeTraces(td)));
    let ok = 0;
    for (const r of results) if (r.status === 'fulfilled') ok++;
    if (ok === list.length) return;
    if (ok === 0) throw combine(results);
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        const reason = r.reason instanceof ConsumerError ? r.reason.reason : 'error';
        this.metrics.dropped(this.logger, list[i].id, n, `exporter_${reason}`, `refused while other exporters took the data: ${(r.reason as Error)?.message}`);
      }
    });
  }
}

/** One error for several refusals: retryable when any was, so the data is kept upstream. */
function combine(results: PromiseSettledResult<void>[]): Error {
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  const retryable = errors.find((e) => e instanceof ConsumerError && e.retryable) as ConsumerError | undefined;
  if (retryable) return retryable;
  const ce = errors.find((e) => e instanceof ConsumerError) as ConsumerError | undefined;
  if (ce) return ce;
  const first = errors[0] as Error;
  return ConsumerError.retryable(first?.message ?? 'export failed', 'backend_unavailable');
}

export class PipelineFanOut implements TraceConsumer {
  constructor(
    private readonly pipelines: { id: string; entry: TraceConsumer }[],
    private readonly logger: Logger,
    private readonly metrics: CollectorMetrics,
  ) {}

  async consumeTraces(td: TraceData): Promise<void> {
    const list = this.pipelines;
    if (list.length === 1) return list[0].entry.consumeTraces(td);
    const results = await Promise.allSettled(list.map((p, i) => p.entry.consumeTraces(i === list.length - 1 ? td : cloneTraceData(td))));
    let ok = 0;
    let retryable = false;
    for (const r of results) {
      if (r.status === 'fulfilled') ok++;
      else if (r.reason instanceof ConsumerError ? r.reason.retryable : true) retryable = true;
    }
    if (ok === list.length) return;
    if (ok === 0 || retryable) throw combine(results);
    const n = spanCount(td);
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        this.metrics.dropped(this.logger, list[i].id, n, (r.reason as ConsumerError).reason, (r.reason as Error).message);
      }
    });
  }
}
