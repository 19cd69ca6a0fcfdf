/**
 * batch processor config, with the OpenTelemetry Collector's names, defaults and rules.
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readDuration, readInt, readObject, readStringList } from '../../config/validate.js';

export interface BatchConfig {
  /** Spans that trigger a send regardless of the timeout. */
  sendBatchSize: number;
  /** Upper bound of one batch; larger batches are split. 0 = no limit. */
  sendBatchMaxSize: number;
  /** Time after which a batch is sent regardless of size; 0 = send immediately. */
  timeoutMs: number;
}

export const defaultBatchConfig: BatchConfig = { sendBatchSize: 8192, sendBatchMaxSize: 0, timeoutMs: 200 };

export function parseBatchConfig(raw: unknown, path: string, issues: ConfigIssues): BatchConfig {
  const o = readObject(raw, path, issues, [
    'send_batch_size',
    'send_batch_max_size',
    'timeout',
    'metadata_keys',
    'metadata_cardinality_limit',
  ]);
  const cfg: BatchConfig = {
    sendBatchSize: readInt(o.send_batch_size, join(path, 'send_batch_size'), issues, defaultBatchConfig.sendBatchSize, { min: 0 }),
    sendBatchMaxSize: readInt(o.send_batch_max_size, join(path, 'send_batch_max_size'), issues, defaultBatchConfig.sendBatchMaxSize, { min: 0 }),
    timeoutMs: readDuration(o.timeout, join(path, 'timeout'), issues, defaultBatchConfig.timeoutMs),
  };
  // The Collector's rule: a max below the trigger size could never be met.
  if (cfg.sendBatchMaxSize > 0 && cfg.sendBatchMaxSize < cfg.sendBatchSize) {
    issues.error(join(path, 'send_batch_max_size'), 'must be greater or equal to send_batch_size');
  }
  if (readStringList(o.metadata_keys, join(path, 'metadata_keys'), issues).length > 0) {
    issues.warn(join(path, 'metadata_keys'), 'batching by client metadata is not supported; ignored (one batcher)');
  }
  readInt(o.metadata_cardinality_limit, join(path, 'metadata_cardinality_limit'), issues, 0, { min: 0 });
  return cfg;
}
