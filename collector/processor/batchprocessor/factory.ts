import type { Factory } from '../../component/component.js';
import { parseBatchConfig, type BatchConfig } from './config.js';
import { BatchProcessor } from './processor.js';

export const batchProcessorFactory: Factory<BatchConfig, BatchProcessor> = {
  kind: 'processor',
  type: 'batch',
  parseConfig: parseBatchConfig,
  create(cfg, settings, next) {
    if (!next) throw new Error('batch processor needs a next consumer');
    return new BatchProcessor(cfg, settings, next);
  },
};
