import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { nullLogger } from '../../telemetry/logger.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';
import { ServiceHost } from '../../service/host.js';
import { makeTraces } from '../../service/testkit.js';
import { parseFileConfig, type FileConfig } from './config.js';
import { FileExporter } from './exporter.js';
import { backupName, RotatingFile } from './rotating-file.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mt-file-'));
const never = new AbortController().signal;

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = parseFileConfig(raw, 'exporters.file', issues);
  return { cfg, errors: issues.errors.map((e) => `${e.path}: ${e.message}`), warnings: issues.warnings.map((w) => w.path) };
}

async function exporter(cfg: Partial<FileConfig> & { path: string }) {
  const e = new FileExporter({ append: false, rotation: null, flushIntervalMs: 1000, ...cfg }, { id: 'file', logger: nullLogger(), metrics: new CollectorMetrics() });
  await e.start(new ServiceHost());
  return e;
}

describe('file exporter config', () => {
  it('defaults', () => {
    expect(parse({ path: '/x/y.json' })).toEqual({ cfg: { path: '/x/y.json', append: false, rotation: null, flushIntervalMs: 1000 }, errors: [], warnings: [] });
    expect(parse({ path: '/x/y.json', rotation: {} }).cfg.rotation).toEqual({ maxMegabytes: 100, maxDays: 0, maxBackups: 100, localtime: false });
  });
  it.each([
    [{}, 'exporters.file.path: path must be non-empty'],
    [{ path: '/a', format: 'proto' }, 'exporters.file.format: format "proto" is not supported by this collector; use json (OTLP/JSON lines)'],
    [{ path: '/a', format: 'xml' }, 'exporters.file.format: expected one of json, proto, got "xml"'],
    [{ path: '/a', compression: 'zstd' }, 'exporters.file.compression: compression "zstd" is not supported; leave it empty'],
    [{ path: '/a', append: true, rotation: {} }, 'exporters.file: append and rotation enabled at the same time is not supported'],
    [{ path: '/a', rotation: { max_megabytes: 0 } }, 'exporters.file.rotation.max_megabytes: must be at least 1, got 0'],
    [{ path: '/a', rotation: { max_size: 5 } }, 'exporters.file.rotation: has invalid keys: max_size (valid keys: max_megabytes, max_days, max_backups, localtime)'],
  ])('%j → error', (raw, msg) => {
    expect(parse(raw).errors).toEqual([msg]);
  });
});

describe('file exporter', () => {
  it('writes one OTLP/JSON request per line and flushes on shutdown', async () => {
    const f = path.join(tmp(), 'traces.json');
    const e = await exporter({ path: f });
    await e.consumeTraces(makeTraces(2));
    await e.consumeTraces(makeTraces(3, 'other'));
    await e.shutdown(never);
    const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0].resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name)).toEqual(['span-0', 'span-1']);
    expect(lines[1].resourceSpans[0].resource.attributes[0]).toEqual({ key: 'service.name', value: { stringValue: 'other' } });
    expect(lines[1].resourceSpans[0].scopeSpans[0].spans[0].traceId).toBe('00000abc000000000000000000000001');
  });

  it('truncates at start unless append is set', async () => {
    const f = path.join(tmp(), 't.json');
    fs.writeFileSync(f, 'old\n');
    const a = await exporter({ path: f, append: true });
    await a.consumeTraces(makeTraces(1));
    await a.shutdown(never);
    expect(fs.readFileSync(f, 'utf8').split('\n')[0]).toBe('old');
    const t = await exporter({ path: f });
    await t.consumeTraces(makeTraces(1));
    await t.shutdown(never);
    expect(fs.readFileSync(f, 'utf8').trimEnd().split('\n')).toHaveLength(1);
  });

  it('creates missing directories', async () => {
    const f = path.join(tmp(), 'a', 'b', 't.json');
    const e = await exporter({ path: f });
    await e.consumeTraces(makeTraces(1));
    await e.shutdown(never);
    expect(fs.existsSync(f)).toBe(true);
  });

  it('refuses retryably when it cannot write', async () => {
    const dir = tmp();
    const e = await exporter({ path: path.join(dir, 't.json') });
    await e.shutdown(never);
    await expect(e.consumeTraces(makeTraces(1))).rejects.toMatchObject({ retryable: true });
  });
});

describe('rotation', () => {
  it('names backups like lumberjack', () => {
    expect(backupName('/d/traces.json', new Date('2024-05-06T07:08:09.123Z'), false)).toBe('/d/traces-2024-05-06T07-08-09.123.json');
  });

  it('rotates by size, never splits a line, and keeps max_backups', () => {
    const dir = tmp();
    const f = path.join(dir, 'traces.json');
    const rf = new RotatingFile(f, { maxMegabytes: 1, maxDays: 0, maxBackups: 2, localtime: false }, false);
    const line = 'x'.repeat(400 * 1024) + '\n';
    const written: number[] = [];
    for (let i = 0; i < 8; i++) {
      rf.write(line);
      written.push(i);
    }
    rf.close();
    const backups = rf.backups();
    expect(backups).toHaveLength(2);
    for (const b of [...backups, f]) {
      const content = fs.readFileSync(b, 'utf8');
      expect(content.length).toBeLessThanOrEqual(1024 * 1024);
      expect(content.endsWith('\n')).toBe(true);
      expect(content.split('\n').every((l) => l === '' || l.length === 400 * 1024)).toBe(true);
    }
    // current file holds the last 2 lines (8 lines, 2 per file)
    expect(fs.readFileSync(f, 'utf8').split('\n').length - 1).toBe(2);
  });

  it('never overwrites a backup, even for rotations within one millisecond', () => {
    const f = path.join(tmp(), 'fast.json');
    const rf = new RotatingFile(f, { maxMegabytes: 1, maxDays: 0, maxBackups: 0, localtime: false }, false);
    const line = 'y'.repeat(600 * 1024) + '\n';
    for (let i = 0; i < 10; i++) rf.write(line);
    rf.close();
    const files = [...rf.backups(), f];
    expect(files).toHaveLength(10);
    const total = files.reduce((n, x) => n + fs.readFileSync(x, 'utf8').split('\n').length - 1, 0);
    expect(total).toBe(10);
  });

  it('rotation appends to an existing file', () => {
    const f = path.join(tmp(), 't.json');
    fs.writeFileSync(f, 'keep\n');
    const rf = new RotatingFile(f, { maxMegabytes: 1, maxDays: 0, maxBackups: 1, localtime: false }, false);
    rf.write('new\n');
    rf.close();
    expect(fs.readFileSync(f, 'utf8')).toBe('keep\nnew\n');
  });
});
