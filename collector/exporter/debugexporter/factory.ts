import type { Factory } from '../../component/component.js';
import { parseDebugConfig, type DebugConfig } from './config.js';
import { DebugExporter } from './exporter.js';

export const debugExporterFactory: Factory<DebugConfig, DebugExporter> = {
  kind: 'exporter',
  type: 'debug',
  aliases: ['logging'],
  parseConfig: parseDebugConfig,
  create(cfg, settings) {
    return new DebugExporter(cfg, settings);
  },
};
