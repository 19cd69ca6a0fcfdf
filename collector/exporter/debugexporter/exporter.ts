/**
 * The debug exporter: shows what reaches the end of a pipeline. `basic` logs one summary line per
 * batch (through the collector's JSON logger, on stdout); `normal` and `detailed` also write the
 * text rendering to stdout. Log lines are sampled like the Collector's (zap sampler): per second,
 * the first `sampling_initial` batches, then every `sampling_thereafter`-th.
 */
import type { CreateSettings, Host, TracesExporter } from '../../component/component.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import type { DebugConfig } from './config.js';
import { formatDetailed, formatNormal } from './format.js';

export class DebugExporter implements TracesExporter {
  private windowStart = 0;
  private windowCount = 0;

  constructor(
    private readonly cfg: DebugConfig,
    private readonly settings: CreateSettings,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  async start(_host: Host): Promise<void> {}

  private sampled(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount++;
    if (this.windowCount <= this.cfg.samplingInitial) return true;
    const t = this.cfg.samplingThereafter;
    return t > 0 && (this.windowCount - this.cfg.samplingInitial) % t === 0;
  }

  async consumeTraces(td: TraceData): Promise<void> {
    const n = spanCount(td);
    this.settings.metrics.exporterSent.inc({ exporter: this.settings.id }, n);
    if (!this.sampled()) return;
    this.settings.logger.info(
      // `kind` and `name` come from the service's child logger, as in the Collector's log lines.
      { data_type: 'traces', 'resource spans': td.resourceSpans.length, spans: n },
      'Traces',
    );
    if (this.cfg.verbosity === 'normal') this.out.write(formatNormal(td));
    else if (this.cfg.verbosity === 'detailed') this.out.write(formatDetailed(td));
  }

  async shutdown(_deadline: AbortSignal): Promise<void> {}
}
