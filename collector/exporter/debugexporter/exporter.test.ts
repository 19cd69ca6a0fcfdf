import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { createLogger } from '../../telemetry/logger.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';
import { makeTraces } from '../../service/testkit.js';
import { parseDebugConfig, type DebugConfig } from './config.js';
import { DebugExporter } from './exporter.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

function setup(cfg: Partial<DebugConfig>) {
  const out = sink();
  const log = sink();
  const logger = createLogger({ destination: log.stream }).child({ kind: 'exporter', name: 'debug' });
  const full: DebugConfig = { verbosity: 'basic', samplingInitial: 2, samplingThereafter: 1, useInternalLogger: true, ...cfg };
  const e = new DebugExporter(full, { id: 'debug', logger, metrics: new CollectorMetrics() }, out.stream);
  return { e, out, log };
}

describe('debug exporter', () => {
  it('basic: one summary log line per batch, nothing else', async () => {
    const { e, out, log } = setup({ verbosity: 'basic' });
    await e.consumeTraces(makeTraces(3));
    const raw = log.text().trim().split('\n');
    expect(raw).toHaveLength(1);
    expect(raw[0].match(/"name":/g)).toHaveLength(1); // no duplicate keys
    const lines = raw.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'Traces', kind: 'exporter', data_type: 'traces', name: 'debug', 'resource spans': 1, spans: 3 });
    expect(out.text()).toBe('');
  });

  it('normal: one line per span', async () => {
    const { e, out } = setup({ verbosity: 'normal' });
    await e.consumeTraces(makeTraces(2));
    const lines = out.text().trim().split('\n');
    expect(lines).toEqual([
      'ResourceTraces #0 service.name=svc',
      'ScopeTraces #0 test',
      'span-0 00000abc000000000000000000000001 0000000000000001 i=0',
      'span-1 00000abc000000000000000000000002 0000000000000002 i=1',
    ]);
  });

  it('detailed: every span with its attributes', async () => {
    const { e, out } = setup({ verbosity: 'detailed' });
    const td = makeTraces(1);
    td.resourceSpans[0].scopeSpans[0].spans[0].status = { code: 2, message: 'boom' };
    await e.consumeTraces(td);
    const text = out.text();
    expect(text).toContain('Resource attributes:\n     -> service.name: Str(svc)\n');
    expect(text).toContain('    Trace ID       : 00000abc000000000000000000000001\n');
    expect(text).toContain('    Kind           : Server\n');
    expect(text).toContain('    Status code    : Error\n');
    expect(text).toContain('    Status message : boom\n');
    expect(text).toContain('Attributes:\n     -> i: Int(0)\n');
    expect(text).toMatch(/Start time {5}: 2023-11-14 22:13:20\.000000000 \+0000 UTC/);
  });

  it('samples like the Collector: first N per second, then every Mth', async () => {
    const { e, log } = setup({ samplingInitial: 2, samplingThereafter: 3 });
    for (let i = 0; i < 8; i++) await e.consumeTraces(makeTraces(1));
    // 1, 2 (initial), then the 3rd after those: call 5, and call 8
    expect(log.text().trim().split('\n')).toHaveLength(4);
  });

  it('maps the deprecated loglevel', () => {
    const issues = new ConfigIssues();
    expect(parseDebugConfig({ loglevel: 'info' }, 'exporters.logging', issues).verbosity).toBe('normal');
    expect(issues.warnings).toHaveLength(1);
    const both = new ConfigIssues();
    parseDebugConfig({ loglevel: 'info', verbosity: 'basic' }, 'exporters.debug', both);
    expect(both.errors.map((e) => e.message)).toEqual(["loglevel and verbosity are mutually exclusive; remove 'loglevel'"]);
  });
});
