/**
 * The file exporter: each export request becomes one line of OTLP/JSON (as the Collector's file
 * exporter writes), appended to `path` with size rotation. Writes are synchronous: when
 * consumeTraces resolves the line is in the kernel's page cache, so nothing acknowledged is held
 * in the process; shutdown fsyncs and closes.
 */
import type { CreateSettings, Host, TracesExporter } from '../../component/component.js';
import { ConsumerError } from '../../component/consumer-error.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import { OtlpJsonWriter } from '../../pdata/otlp-json.js';
import type { FileConfig } from './config.js';
import { RotatingFile } from './rotating-file.js';

export class FileExporter implements TracesExporter {
  private file: RotatingFile | undefined;
  /** Encodes each request into one reused buffer, written synchronously before the next. */
  private readonly json = new OtlpJsonWriter();

  constructor(
    private readonly cfg: FileConfig,
    private readonly settings: CreateSettings,
  ) {}

  async start(_host: Host): Promise<void> {
    this.file = new RotatingFile(this.cfg.path, this.cfg.rotation, this.cfg.append);
  }

  async consumeTraces(td: TraceData): Promise<void> {
    const n = spanCount(td);
    if (n === 0 && td.resourceSpans.length === 0) return;
    if (!this.file) throw ConsumerError.retryable(`file exporter ${this.settings.id} is not started`, 'shutting_down');
    try {
      this.file.write(this.json.encode(td, true));
    } catch (err) {
      this.settings.metrics.exporterSendFailed.inc({ exporter: this.settings.id, reason: 'write_error' }, n);
      this.settings.logger.error({ component: this.settings.id, err: (err as Error).message }, 'cannot write to file');
      // Retryable: a full disk may free up; the batch processor keeps the data meanwhile.
      throw ConsumerError.retryable(`cannot write ${this.cfg.path}: ${(err as Error).message}`, 'backend_unavailable');
    }
    this.settings.metrics.exporterSent.inc({ exporter: this.settings.id }, n);
  }

  async shutdown(_deadline: AbortSignal): Promise<void> {
    try {
      this.file?.close();
    } catch (err) {
      this.settings.logger.error({ component: this.settings.id, err: (err as Error).message }, 'cannot flush file on shutdown');
    }
    this.file = undefined;
  }
}
