/**
 * Receiver bookkeeping with the Collector's metric names: spans accepted, spans refused (with a
 * reason label), requests refused (ours: `meshtrace_receiver_refused_requests_total`, by reason),
 * and log lines for refusals, sampled per reason (telemetry/log-sampler.ts) so that a flood of
 * bad requests cannot flood the log. Every refusal is counted; the log says how many lines it
 * left out.
 */
import type { CreateSettings } from '../../component/component.js';
import { LogSampler } from '../../telemetry/log-sampler.js';

export class ReceiverObs {
  private readonly sampler = new LogSampler();

  constructor(
    private readonly settings: CreateSettings,
    private readonly transport: string,
  ) {}

  accepted(spans: number): void {
    if (spans > 0) this.settings.metrics.receiverAccepted.inc({ receiver: this.settings.id, transport: this.transport }, spans);
  }

  /** Writes a sampled line: permanent refusals warn (the data is lost), retryable ones are debug. */
  private log(kind: string, retryable: boolean, fields: Record<string, unknown>, msg: string): void {
    const logger = this.settings.logger;
    if (retryable ? !logger.isLevelEnabled('debug') : !logger.isLevelEnabled('warn')) return;
    const suppressed = this.sampler.take(`${kind}/${String(fields.reason ?? fields.status)}`);
    if (suppressed < 0) return;
    const line = { receiver: this.settings.id, transport: this.transport, ...fields, ...(suppressed > 0 ? { suppressed_since_last: suppressed } : {}) };
    if (retryable) logger.debug(line, msg);
    else logger.warn(line, msg);
  }

  refused(spans: number, reason: string, message: string, retryable: boolean): void {
    if (spans <= 0) return;
    this.settings.metrics.receiverRefused.inc({ receiver: this.settings.id, transport: this.transport, reason }, spans);
    // Retryable refusals are kept by the client; permanent ones are lost: warn about those.
    this.log('spans', retryable, { refused_spans: spans, reason, retryable, detail: message }, 'spans refused');
  }

  /** Spans rejected one by one (invalid IDs): one counter increment per reason, one log line. */
  rejected(byReason: Record<string, number>, count: number, message: string): void {
    if (count <= 0) return;
    for (const [reason, n] of Object.entries(byReason)) {
      this.settings.metrics.receiverRefused.inc({ receiver: this.settings.id, transport: this.transport, reason }, n);
    }
    this.log('spans', false, { refused_spans: count, reasons: byReason, reason: 'invalid_span', retryable: false, detail: message }, 'spans refused');
  }

  /**
   * A request refused as a whole (bad body, too large, back-pressure, ...): counted by reason,
   * with its spans when they were counted before refusing. Permanent refusals are warnings (the
   * client will not resend); retryable ones are logged at debug level, as they come in floods by
   * nature and the client keeps the data.
   */
  refusedRequest(status: number | string, reason: string, message: string, retryable: boolean, spans = 0, alreadyLogged = false): void {
    this.settings.metrics.receiverRefusedRequests.inc({ receiver: this.settings.id, transport: this.transport, reason });
    if (spans > 0) this.settings.metrics.receiverRefused.inc({ receiver: this.settings.id, transport: this.transport, reason }, spans);
    if (alreadyLogged) return;
    this.log('request', retryable, { status, reason, ...(spans > 0 ? { refused_spans: spans } : {}), detail: message }, retryable ? 'request refused, client asked to retry' : 'request refused');
  }
}
