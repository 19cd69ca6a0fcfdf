/**
 * Receiver bookkeeping with the Collector's metric names: spans accepted, spans refused (with a
 * reason label), and a log line for every refusal so no span disappears without a trace.
 */
import type { CreateSettings } from '../../component/component.js';

export class ReceiverObs {
  constructor(
    private readonly settings: CreateSettings,
    private readonly transport: string,
  ) {}

  accepted(spans: number): void {
    if (spans > 0) this.settings.metrics.receiverAccepted.inc({ receiver: this.settings.id, transport: this.transport }, spans);
  }

  refused(spans: number, reason: string, message: string, retryable: boolean): void {
    if (spans <= 0) return;
    this.settings.metrics.receiverRefused.inc({ receiver: this.settings.id, transport: this.transport, reason }, spans);
    // Retryable refusals are kept by the client; permanent ones are lost: warn about those.
    const log = retryable ? this.settings.logger.info.bind(this.settings.logger) : this.settings.logger.warn.bind(this.settings.logger);
    log({ receiver: this.settings.id, transport: this.transport, refused_spans: spans, reason, retryable, detail: message }, 'spans refused');
  }

  /** Spans rejected one by one (invalid IDs): one counter increment per reason, one log line. */
  rejected(byReason: Record<string, number>, count: number, message: string): void {
    if (count <= 0) return;
    for (const [reason, n] of Object.entries(byReason)) {
      this.settings.metrics.receiverRefused.inc({ receiver: this.settings.id, transport: this.transport, reason }, n);
    }
    this.settings.logger.warn(
      { receiver: this.settings.id, transport: this.transport, refused_spans: count, reasons: byReason, retryable: false, detail: message },
      'spans refused',
    );
  }

  /**
   * A request refused before its spans could be counted (bad body, too large, ...): the client
   * is told and will not resend it, so it is a warning. Back-pressure refusals (the client
   * retries) are logged at debug level only, as they come in floods by nature.
   */
  badRequest(status: number | string, message: string, retryable = false): void {
    const fields = { receiver: this.settings.id, transport: this.transport, status, detail: message };
    if (retryable) this.settings.logger.debug(fields, 'request refused, client asked to retry');
    else this.settings.logger.warn(fields, 'request refused');
  }
}
