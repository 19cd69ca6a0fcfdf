/**
 * Factory of the `memory_limiter` extension: the configuration of the collector's memory budget
 * and of the receivers' admission control (config.ts). The budget itself runs in the service
 * (collector/service/memory-guard.ts), which applies the defaults when this extension is absent;
 * the extension only carries the user's settings, as the Collector's memorylimiterextension is
 * the place receivers look for theirs.
 */
import type { Component, Factory } from '../../component/component.js';
import { parseMemoryBudgetConfig, type MemoryBudgetConfig } from './config.js';

export const memoryLimiterExtensionFactory: Factory<MemoryBudgetConfig, Component> = {
  kind: 'extension',
  type: 'memory_limiter',
  parseConfig: parseMemoryBudgetConfig,
  create() {
    return {
      async start() {},
      async shutdown() {},
    };
  },
};
