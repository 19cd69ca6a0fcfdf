/**
 * The collector's own /metrics endpoint (Prometheus text), at service.telemetry.metrics.address
 * or the pull prometheus reader's host:port, default localhost:8888 as the Collector.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHostPort } from '../config/validate.js';
import type { Logger } from './logger.js';
import type { CollectorMetrics } from './metrics.js';

export class MetricsServer {
  private server: http.Server | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly metrics: CollectorMetrics,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const hp = parseHostPort(this.endpoint);
    if (!hp) throw new Error(`invalid metrics address ${this.endpoint}`);
    const server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      this.metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.contentType() }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(hp.port, hp.host === '' ? undefined : hp.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const a = this.address();
    this.logger.info({ endpoint: `${a?.address}:${a?.port}` }, 'serving own metrics at /metrics');
  }

  address(): AddressInfo | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  async shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
