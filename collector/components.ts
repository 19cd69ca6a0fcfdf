/**
 * The registry of built-in component factories, found by type name (and aliases) when a config
 * is resolved. Each part adds its factory here with one import and one list entry.
 */
import type { Factory } from './component/component.js';
import { otlpReceiverFactory } from './receiver/otlpreceiver/factory.js';
import { zipkinReceiverFactory } from './receiver/zipkinreceiver/factory.js';
import { batchProcessorFactory } from './processor/batchprocessor/factory.js';
import { memoryLimiterProcessorFactory } from './processor/memorylimiterprocessor/factory.js';
import { istioProcessorFactory } from './processor/istioprocessor/factory.js';
import { reparentProcessorFactory } from './processor/reparentprocessor/factory.js';
import { debugExporterFactory } from './exporter/debugexporter/factory.js';
import { fileExporterFactory } from './exporter/fileexporter/factory.js';
import { healthCheckExtensionFactory } from './extension/healthcheckextension/factory.js';
import { fileStorageExtensionFactory } from './extension/filestorageextension/factory.js';
import { memoryLimiterExtensionFactory } from './extension/memorylimiterextension/factory.js';
import { otlpExporterFactory } from './exporter/otlpexporter/factory.js';
import { otlpHttpExporterFactory } from './exporter/otlphttpexporter/factory.js';
import { awsXrayExporterFactory } from './exporter/awsxrayexporter/factory.js';
import { sigv4AuthExtensionFactory } from './extension/sigv4authextension/factory.js';
import { bearerTokenAuthExtensionFactory } from './extension/bearertokenauthextension/factory.js';
import { keepStringPrototypeFast } from './runtime/fast-string-prototype.js';

// Every component's code (and its libraries) is loaded above: whatever one of them did to
// String.prototype at load time, string operations stay on V8's fast path.
keepStringPrototypeFast();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const builtinFactories: Factory<any, any>[] = [
  otlpReceiverFactory,
  zipkinReceiverFactory,
  batchProcessorFactory,
  memoryLimiterProcessorFactory,
  istioProcessorFactory,
  reparentProcessorFactory,
  debugExporterFactory,
  fileExporterFactory,
  healthCheckExtensionFactory,
  fileStorageExtensionFactory,
  memoryLimiterExtensionFactory,
  otlpExporterFactory,
  otlpHttpExporterFactory,
  awsXrayExporterFactory,
  sigv4AuthExtensionFactory,
  bearerTokenAuthExtensionFactory,
];
