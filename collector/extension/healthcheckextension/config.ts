/**
 * health_check extension config, with the Collector's names and defaults: `endpoint`
 * localhost:13133 (the Collector's default since v0.104), `path` "/", optional
 * `response_body` {healthy, unhealthy}. `check_collector_pipeline` is accepted with a warning.
 *
 * `port` is the key the Collector deprecated in favour of `endpoint` but kept accepting through
 * the 0.5x-0.9x releases most Istio guides deploy: there it listened on `:<port>` (every
 * interface) when `endpoint` was left at its default, and was ignored otherwise. Same here, with
 * a warning either way.
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readEndpoint, readInt, readObject, readString } from '../../config/validate.js';

export interface HealthCheckConfig {
  endpoint: string;
  path: string;
  responseBody: { healthy: string; unhealthy: string } | null;
}

export const DEFAULT_HEALTH_CHECK_ENDPOINT = 'localhost:13133';

export function parseHealthCheckConfig(raw: unknown, path: string, issues: ConfigIssues): HealthCheckConfig {
  const o = readObject(raw, path, issues, ['endpoint', 'path', 'response_body'], {
    check_collector_pipeline: 'ignored (deprecated and not working in the Collector either)',
    port: "use 'endpoint: 0.0.0.0:<port>' instead",
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
  let endpoint = readEndpoint(o.endpoint, join(path, 'endpoint'), issues, DEFAULT_HEALTH_CHECK_ENDPOINT);
  const port = readInt(o.port, join(path, 'port'), issues, 0, { min: 0, max: 65535 });
  if (port !== 0) {
    if (o.endpoint === undefined || o.endpoint === null) endpoint = `:${port}`;
    else issues.warn(join(path, 'port'), `ignored: 'endpoint' (${endpoint}) is set and wins, as in the Collector`);
  }
  return { endpoint, path: p, responseBody };
}
