/**
 * health_check extension config, with the Collector's names and defaults: `endpoint`
 * localhost:13133 (the Collector's default since v0.104), `path` "/", optional
 * `response_body` {healthy, unhealthy}. `check_collector_pipeline` is accepted with a warning.
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readEndpoint, readObject, readString } from '../../config/validate.js';

export interface HealthCheckConfig {
  endpoint: string;
  path: string;
  responseBody: { healthy: string; unhealthy: string } | null;
}

export function parseHealthCheckConfig(raw: unknown, path: string, issues: ConfigIssues): HealthCheckConfig {
  const o = readObject(raw, path, issues, ['endpoint', 'path', 'response_body'], {
    check_collector_pipeline: 'ignored (deprecated and not working in the Collector either)',
  });
  const p = readString(o.path, join(path, 'path'), issues, '/');
  if (!p.startsWith('/')) issues.error(join(path, 'path'), `must start with "/", got ${JSON.stringify(p)}`);
  let responseBody: HealthCheckConfig['responseBody'] = null;
  if (o.response_body !== undefined && o.response_body !== null) {
    const rPath = join(path, 'response_body');
    const r = readObject(o.response_body, rPath, issues, ['healthy', 'unhealthy']);
    responseBody = {
      healthy: readString(r.healthy, join(rPath, 'healthy'), issues, ''),
      unhealthy: readString(r.unhealthy, join(rPath, 'unhealthy'), issues, ''),
    };
  }
  return { endpoint: readEndpoint(o.endpoint, join(path, 'endpoint'), issues, 'localhost:13133'), path: p, responseBody };
}
