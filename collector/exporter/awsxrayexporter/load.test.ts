/** The exporter as the collector's config loader finds it (components.ts registration). */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../config/load.js';


const yaml = (exporter: string, body: string) => `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
exporters:
  ${exporter}:
${body}
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [${exporter}]
`;

describe('awsxray in a collector config', () => {
  it.each(['awsxray', 'xray', 'awsxray/prod'])('is found as %s', (name) => {
    const loaded = parseConfigText(yaml(name, '    region: us-east-1\n    epoch_store: redis://redis.meshtrace:6379'));
    const c = loaded.exporters.get(name);
    expect(c?.type).toBe('awsxray');
    expect(c?.config).toMatchObject({ region: 'us-east-1', epochStore: 'redis://redis.meshtrace:6379', traceIdEpoch: 'rewrite' });
  });

  it('reports bad keys with their full path', () => {
    expect(() => parseConfigText(yaml('awsxray', '    region: nowhere\n    trace_id_epoch: sometimes'))).toThrow(
      /exporters\.awsxray\.region[\s\S]*exporters\.awsxray\.trace_id_epoch|exporters\.awsxray\.trace_id_epoch[\s\S]*exporters\.awsxray\.region/,
    );
  });
});
