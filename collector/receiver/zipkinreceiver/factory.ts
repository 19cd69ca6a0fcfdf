/** Factory of the `zipkin` receiver (Zipkin v2 on 9411). */
import type { Factory } from '../../component/component.js';
import { parseZipkinReceiverConfig, type ZipkinReceiverConfig } from './config.js';
import { ZipkinReceiver } from './receiver.js';

export const zipkinReceiverFactory: Factory<ZipkinReceiverConfig, ZipkinReceiver> = {
  kind: 'receiver',
  type: 'zipkin',
  parseConfig: parseZipkinReceiverConfig,
  create(cfg, settings, next) {
    if (!next) throw new Error(`receiver ${settings.id}: no next consumer`);
    return new ZipkinReceiver(cfg, settings, next);
  },
};
