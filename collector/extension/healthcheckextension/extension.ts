/**
 * health_check: an HTTP endpoint for Kubernetes probes. `GET <path>` answers 200 while the
 * collector is ready and 503 while it is starting or shutting down, with the Collector's body
 * (`{"status":"Server available","upSince":...,"uptime":...}` / `"Server not available"`) unless
 * `response_body` is set. It is started first and stopped last, so probes see the whole drain.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreateSettings, Extension, Host } from '../../component/component.js';
import { parseHostPort } from '../../config/validate.js';
import type { HealthCheckConfig } from './config.js';

export class HealthCheckExtension implements Extension {
  private server: http.Server | undefined;
  private host: Host | undefined;
  private readySince: Date | undefined;

  constructor(
    private readonly cfg: HealthCheckConfig,
    private readonly settings: CreateSettings,
  ) {}

  /** The bound address (useful with port 0). */
  address(): AddressInfo | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    const { host: h, port } = parseHostPort(this.cfg.endpoint)!;
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, h === '' ? undefined : h, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.settings.logger.info({ component: this.settings.id, endpoint: `${this.address()?.address}:${this.address()?.port}` }, 'health check server listening');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== this.cfg.path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const ready = this.host?.health.state === 'ready';
    if (ready && !this.readySince) this.readySince = new Date();
    if (!ready) this.readySince = undefined;
    let body: string;
    let type = 'application/json';
    if (this.cfg.responseBody) {
      body = ready ? this.cfg.responseBody.healthy : this.cfg.responseBody.unhealthy;
      type = 'text/plain';
    } else if (ready) {
      const uptime = (Date.now() - this.readySince!.getTime()) / 1000;
      body = JSON.stringify({ status: 'Server available', upSince: this.readySince!.toISOString(), uptime: `${uptime}s` });
    } else {
      body = JSON.stringify({ status: 'Server not available', upSince: '0001-01-01T00:00:00Z', uptime: '' });
    }
    res.writeHead(ready ? 200 : 503, { 'content-type': type });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async shutdown(_deadline: AbortSignal): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
