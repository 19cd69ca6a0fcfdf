import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { nullLogger } from '../../telemetry/logger.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';
import { ServiceHost } from '../../service/host.js';
import { parseHealthCheckConfig, type HealthCheckConfig } from './config.js';
import { HealthCheckExtension } from './extension.js';

async function setup(cfg: Partial<HealthCheckConfig> = {}) {
  const host = new ServiceHost();
  const ext = new HealthCheckExtension({ endpoint: '127.0.0.1:0', path: '/', responseBody: null, ...cfg }, { id: 'health_check', logger: nullLogger(), metrics: new CollectorMetrics() });
  await ext.start(host);
  const base = `http://127.0.0.1:${ext.address()!.port}`;
  return { host, ext, base };
}

describe('health_check config', () => {
  it('defaults like the Collector', () => {
    const issues = new ConfigIssues();
    expect(parseHealthCheckConfig(null, 'extensions.health_check', issues)).toEqual({ endpoint: 'localhost:13133', path: '/', responseBody: null });
    expect(issues.errors).toEqual([]);
  });
  it.each([
    [{ path: 'health' }, 'extensions.health_check.path: must start with "/", got "health"'],
    [{ endpoint: '13133' }, 'extensions.health_check.endpoint: expected host:port, got "13133"'],
    [{ port: 70000 }, 'extensions.health_check.port: must be at most 65535, got 70000'],
    [{ port: '13133' }, 'extensions.health_check.port: expected an integer, got "13133"'],
    [{ prot: 13133 }, 'extensions.health_check: has invalid keys: prot (valid keys: endpoint, path, response_body)'],
  ])('%j', (raw, msg) => {
    const issues = new ConfigIssues();
    parseHealthCheckConfig(raw, 'extensions.health_check', issues);
    expect(issues.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([msg]);
  });
  // The deprecated `port` of the 0.5x-0.9x Collector: `:<port>` (every interface) when `endpoint`
  // is not set, ignored when it is; a warning either way.
  it.each([
    [{ port: 13133 }, ':13133', ['extensions.health_check.port']],
    [{ port: 8080, path: '/healthz' }, ':8080', ['extensions.health_check.port']],
    [{ port: 13133, endpoint: '127.0.0.1:9999' }, '127.0.0.1:9999', ['extensions.health_check.port', 'extensions.health_check.port']],
    [{ port: 0 }, 'localhost:13133', ['extensions.health_check.port']],
    [{ port: null }, 'localhost:13133', ['extensions.health_check.port']],
  ])('deprecated port %j listens on %s', (raw, endpoint, warned) => {
    const issues = new ConfigIssues();
    expect(parseHealthCheckConfig(raw, 'extensions.health_check', issues).endpoint).toBe(endpoint);
    expect(issues.errors).toEqual([]);
    expect(issues.warnings.map((w) => w.path)).toEqual(warned);
  });
  it('accepts check_collector_pipeline with a warning', () => {
    const issues = new ConfigIssues();
    parseHealthCheckConfig({ check_collector_pipeline: { enabled: true } }, 'extensions.health_check', issues);
    expect(issues.errors).toEqual([]);
    expect(issues.warnings.map((w) => w.path)).toEqual(['extensions.health_check.check_collector_pipeline']);
  });
});

describe('health_check extension', () => {
  it('serves on the deprecated `port` when that is all the config gives', async () => {
    const free = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address() as net.AddressInfo; srv.close(() => resolve(port)); });
    });
    const issues = new ConfigIssues();
    const cfg = parseHealthCheckConfig({ port: free }, 'extensions.health_check', issues);
    const host = new ServiceHost();
    const ext = new HealthCheckExtension(cfg, { id: 'health_check', logger: nullLogger(), metrics: new CollectorMetrics() });
    await ext.start(host);
    try {
      host.setState('ready');
      expect(ext.address()!.port).toBe(free);
      expect((await fetch(`http://127.0.0.1:${free}/`)).status).toBe(200);
    } finally {
      await ext.shutdown(new AbortController().signal);
    }
  });

  it('503 while starting, 200 while ready, 503 while stopping, with the Collector’s bodies', async () => {
    const { host, ext, base } = await setup();
    let r = await fetch(base + '/');
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ status: 'Server not available', upSince: '0001-01-01T00:00:00Z', uptime: '' });
    host.setState('ready');
    r = await fetch(base + '/');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.status).toBe('Server available');
    expect(Date.parse(body.upSince)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.uptime).toMatch(/^\d+(\.\d+)?s$/);
    host.setState('stopping');
    r = await fetch(base + '/');
    expect(r.status).toBe(503);
    await ext.shutdown(new AbortController().signal);
    await expect(fetch(base + '/')).rejects.toThrow();
  });

  it('serves only its path and GET/HEAD; custom bodies', async () => {
    const { host, ext, base } = await setup({ path: '/health/status', responseBody: { healthy: 'up', unhealthy: 'down' } });
    expect((await fetch(base + '/')).status).toBe(404);
    expect(await (await fetch(base + '/health/status')).text()).toBe('down');
    host.setState('ready');
    expect(await (await fetch(base + '/health/status?verbose')).text()).toBe('up');
    expect((await fetch(base + '/health/status', { method: 'POST' })).status).toBe(405);
    expect((await fetch(base + '/health/status', { method: 'HEAD' })).status).toBe(200);
    await ext.shutdown(new AbortController().signal);
  });

  it('fails to start on a port in use', async () => {
    const { ext } = await setup();
    const port = ext.address()!.port;
    const other = new HealthCheckExtension({ endpoint: `127.0.0.1:${port}`, path: '/', responseBody: null }, { id: 'h2', logger: nullLogger(), metrics: new CollectorMetrics() });
    await expect(other.start(new ServiceHost())).rejects.toThrow(/EADDRINUSE/);
    await ext.shutdown(new AbortController().signal);
  });
});
