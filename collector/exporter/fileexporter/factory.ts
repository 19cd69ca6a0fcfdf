import type { Factory } from '../../component/component.js';
import { parseFileConfig, type FileConfig } from './config.js';
import { FileExporter } from './exporter.js';

export const fileExporterFactory: Factory<FileConfig, FileExporter> = {
  kind: 'exporter',
  type: 'file',
  parseConfig: parseFileConfig,
  create(cfg, settings) {
    return new FileExporter(cfg, settings);
  },
};
