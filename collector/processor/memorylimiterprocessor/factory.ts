import type { Factory } from '../../component/component.js';
import { parseMemoryLimiterConfig, type MemoryLimiterConfig } from './config.js';
import { MemoryLimiterProcessor } from './processor.js';

export const memoryLimiterProcessorFactory: Factory<MemoryLimiterConfig, MemoryLimiterProcessor> = {
  kind: 'processor',
  type: 'memory_limiter',
  parseConfig: parseMemoryLimiterConfig,
  create(cfg, settings, next) {
    if (!next) throw new Error('memory_limiter processor needs a next consumer');
    return new MemoryLimiterProcessor(cfg, settings, next);
  },
};
