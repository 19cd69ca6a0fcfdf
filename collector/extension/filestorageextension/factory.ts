/**
 * `file_storage` (otelcol-contrib's filestorage extension): persistent storage for other
 * components, e.g. `exporters.<id>.sending_queue.storage: file_storage`.
 */
import type { Factory } from '../../component/component.js';
import { parseFileStorageConfig, type FileStorageConfig } from './config.js';
import { FileStorageExtension } from './extension.js';

export const fileStorageExtensionFactory: Factory<FileStorageConfig, FileStorageExtension> = {
  kind: 'extension',
  type: 'file_storage',
  capabilities: ['storage'],
  parseConfig: parseFileStorageConfig,
  create: (cfg, settings) => new FileStorageExtension(cfg, settings),
};
