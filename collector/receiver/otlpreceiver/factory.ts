/** Factory of the `otlp` receiver (OTLP/gRPC on 4317 and OTLP/HTTP on 4318). */
import type { Factory } from '../../component/component.js';
import { parseOtlpReceiverConfig, type OtlpReceiverConfig } from './config.js';
import { OtlpReceiver } from './receiver.js';

export const otlpReceiverFactory: Factory<OtlpReceiverConfig, OtlpReceiver> = {
  kind: 'receiver',
  type: 'otlp',
  parseConfig: parseOtlpReceiverConfig,
  create(cfg, settings, next) {
    if (!next) throw new Error(`receiver ${settings.id}: no next consumer`);
    return new OtlpReceiver(cfg, settings, next);
  },
};
