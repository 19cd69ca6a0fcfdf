/**
 * `awsxray` (alias `xray`): OTel spans → AWS X-Ray segment documents, through the shared sending
 * queue (exporterhelper), to PutTraceSegments or an X-Ray daemon (`daemon_address`).
 */
import type { CreateSettings, Factory, TracesExporter } from '../../component/component.js';
import type { ConfigIssues } from '../../config/issues.js';
import { createQueuedPreparedTracesExporter, queueExtensionRefs } from '../exporterhelper/index.js';
import { parseAwsXrayConfig, type AwsXrayConfig } from './config.js';
import { createXrayExportFns, xrayBatchCodec, xrayMetrics } from './exporter.js';
import { ApiSender, type ApiSenderOptions, type DocumentSender } from './send/api-sender.js';
import { DaemonSender, MAX_DAEMON_DOCUMENT_BYTES } from './send/daemon-sender.js';
import { XRAY_MAX_DOCUMENT_BYTES } from './translator/fit.js';
import { EpochResolver } from './traceid/epoch-resolver.js';
import { RedisEpochStore } from './traceid/redis-epoch-store.js';

const STORE_CONNECT_WAIT_MS = 1000;

export interface AwsXrayTestHooks {
  /** Fixed credentials (tests; production uses the default chain or role_arn). */
  credentials?: ApiSenderOptions['credentials'];
  now?: () => number;
}

export function createAwsXrayExporter(cfg: AwsXrayConfig, settings: CreateSettings, hooks: AwsXrayTestHooks = {}): TracesExporter {
  const metrics = xrayMetrics(settings);
  let store: RedisEpochStore | undefined;
  if (cfg.traceIdEpoch === 'rewrite' && cfg.epochStore) {
    let lastLogged = 0;
    store = new RedisEpochStore({
      url: cfg.epochStore,
      ttlSec: cfg.epochStoreTtlMs / 1000,
      timeoutMs: cfg.epochStoreTimeoutMs,
      onError: (err) => {
        // Connection errors repeat while Redis is down: log at most every 30 s.
        if (Date.now() - lastLogged > 30_000) {
          lastLogged = Date.now();
          settings.logger.warn({ exporter: settings.id, error: err.message }, 'epoch store (redis) error; using the deterministic epoch rule meanwhile');
        }
      },
    });
  }
  const resolver = new EpochResolver({
    mode: cfg.traceIdEpoch,
    windowSec: cfg.epochWindowMs / 1000,
    cacheMax: cfg.epochCache.max,
    cacheTtlMs: cfg.epochCache.ttlMs,
    store,
    now: hooks.now,
    onStoreFallback: (err, count) => {
      metrics.epochStoreFallbacks.inc({ exporter: settings.id }, count);
      settings.logger.debug({ exporter: settings.id, traces: count, error: (err as Error)?.message }, 'epoch store unavailable, deterministic epochs used');
    },
  });
  let sender: DocumentSender;
  let maxDocumentBytes = XRAY_MAX_DOCUMENT_BYTES;
  if (cfg.daemonAddress) {
    sender = new DaemonSender(cfg.daemonAddress);
    maxDocumentBytes = MAX_DAEMON_DOCUMENT_BYTES;
  } else {
    sender = new ApiSender({
      region: cfg.region,
      endpoint: cfg.endpoint,
      roleArn: cfg.roleArn,
      externalId: cfg.externalId,
      noVerifySsl: cfg.noVerifySsl,
      timeoutMs: cfg.timeoutMs,
      credentials: hooks.credentials,
      warn: (message) => settings.logger.warn({ exporter: settings.id }, `aws sdk: ${message}`),
    });
  }
  const { prepare, send } = createXrayExportFns({ cfg, settings, resolver, sender, metrics, maxDocumentBytes });
  return createQueuedPreparedTracesExporter(settings, cfg.queue, cfg.retry, prepare, send, {
    // `timeout` bounds each PutTraceSegments call in the sender (and the daemon has no answer to
    // wait for): cutting the whole attempt would lose which calls of the batch were accepted.
    timeoutMs: 0,
    codec: xrayBatchCodec,
    onStart: async () => {
      await sender.start();
      // Give Redis a moment to connect so the first batches use it; never fail start-up on it.
      await store?.waitReady(STORE_CONNECT_WAIT_MS).catch((err: Error) =>
        settings.logger.warn({ exporter: settings.id, error: err.message }, 'epoch store (redis) not reachable at start; deterministic epochs until it is'),
      );
    },
    onShutdown: async () => {
      await sender.close();
      await resolver.close();
    },
  });
}

export const awsXrayExporterFactory: Factory<AwsXrayConfig, TracesExporter> = {
  kind: 'exporter',
  type: 'awsxray',
  aliases: ['xray'],
  parseConfig: (raw: unknown, path: string, issues: ConfigIssues) => parseAwsXrayConfig(raw, path, issues),
  extensionRefs: (cfg, path) => queueExtensionRefs(cfg.queue, path),
  create: (cfg, settings) => createAwsXrayExporter(cfg, settings),
};
