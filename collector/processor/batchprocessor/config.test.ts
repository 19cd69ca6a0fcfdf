import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { parseBatchConfig } from './config.js';

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = parseBatchConfig(raw, 'processors.batch', issues);
  return { cfg, errors: issues.errors.map((e) => `${e.path}: ${e.message}`), warnings: issues.warnings.map((e) => e.path) };
}

describe('batch config', () => {
  it.each([
    [null, { sendBatchSize: 8192, sendBatchMaxSize: 0, timeoutMs: 200 }],
    [{}, { sendBatchSize: 8192, sendBatchMaxSize: 0, timeoutMs: 200 }],
    [{ send_batch_size: 100, send_batch_max_size: 200, timeout: '1s' }, { sendBatchSize: 100, sendBatchMaxSize: 200, timeoutMs: 1000 }],
    [{ send_batch_size: 100, send_batch_max_size: 100 }, { sendBatchSize: 100, sendBatchMaxSize: 100, timeoutMs: 200 }],
    [{ timeout: 0 }, { sendBatchSize: 8192, sendBatchMaxSize: 0, timeoutMs: 0 }],
  ])('%j', (raw, want) => {
    const r = parse(raw);
    expect(r.errors).toEqual([]);
    expect(r.cfg).toEqual(want);
  });
  it.each([
    [{ send_batch_size: 100, send_batch_max_size: 50 }, 'processors.batch.send_batch_max_size: must be greater or equal to send_batch_size'],
    [{ send_batch_size: -1 }, 'processors.batch.send_batch_size: must be at least 0, got -1'],
    [{ timeout: '2 seconds' }, 'processors.batch.timeout: expected a duration like 200ms, 5s or 1m, got "2 seconds"'],
    [{ sendBatchSize: 5 }, 'processors.batch: has invalid keys: sendBatchSize (valid keys: send_batch_size, send_batch_max_size, timeout, metadata_keys, metadata_cardinality_limit)'],
  ])('%j → error', (raw, msg) => {
    expect(parse(raw).errors).toEqual([msg]);
  });
  it('warns that metadata_keys is ignored', () => {
    expect(parse({ metadata_keys: ['tenant'] }).warnings).toEqual(['processors.batch.metadata_keys']);
  });
});
