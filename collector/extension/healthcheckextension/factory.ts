import type { Factory } from '../../component/component.js';
import { parseHealthCheckConfig, type HealthCheckConfig } from './config.js';
import { HealthCheckExtension } from './extension.js';

export const healthCheckExtensionFactory: Factory<HealthCheckConfig, HealthCheckExtension> = {
  kind: 'extension',
  type: 'health_check',
  parseConfig: parseHealthCheckConfig,
  create(cfg, settings) {
    return new HealthCheckExtension(cfg, settings);
  },
};
