/**
 * Server-side TLS settings with the Collector's configtls key names: `cert_file`/`key_file` (or
 * `cert_pem`/`key_pem` inline), `client_ca_file` (clients must then present a certificate signed
 * by it: mutual TLS), `min_version`/`max_version` ("1.2", "1.3"; default minimum 1.2 as otelcol).
 * Files are checked when the config is read, so a typo stops start-up with its path.
 */
import fs from 'node:fs';
import type { SecureVersion } from 'node:tls';
import type { ConfigIssues } from '../../config/issues.js';
import { join, readEnum, readObject, readString } from '../../config/validate.js';

export interface TlsServerConfig {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
  minVersion: SecureVersion;
  maxVersion?: SecureVersion;
}

const VERSIONS = ['1.0', '1.1', '1.2', '1.3'] as const;
const NODE_VERSION: Record<(typeof VERSIONS)[number], SecureVersion> = { '1.0': 'TLSv1', '1.1': 'TLSv1.1', '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

const IGNORED = ['reload_interval', 'cipher_suites', 'include_system_ca_certs_pool', 'client_ca_file_reload', 'curve_preferences', 'ca_file', 'ca_pem'];

function readPemSource(o: Record<string, unknown>, path: string, issues: ConfigIssues, fileKey: string, pemKey: string, required: boolean): Buffer | undefined {
  const file = readString(o[fileKey], join(path, fileKey), issues, undefined, { nonEmpty: true });
  const pem = readString(o[pemKey], join(path, pemKey), issues, undefined, { nonEmpty: true });
  if (file !== undefined && pem !== undefined) {
    issues.error(path, `set ${fileKey} or ${pemKey}, not both`);
    return undefined;
  }
  if (pem !== undefined) return Buffer.from(pem);
  if (file !== undefined) {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      issues.error(join(path, fileKey), `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return undefined;
    }
  }
  if (required) issues.error(path, `${fileKey} (or ${pemKey}) is required for a TLS server`);
  return undefined;
}

/** Undefined when `raw` is unset (plaintext) or invalid (the errors are in `issues`). */
export function readTlsServerConfig(raw: unknown, path: string, issues: ConfigIssues): TlsServerConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const o = readObject(raw, path, issues, ['cert_file', 'key_file', 'cert_pem', 'key_pem', 'client_ca_file', 'client_ca_pem', 'min_version', 'max_version', ...IGNORED]);
  for (const k of IGNORED) {
    if (o[k] !== undefined && o[k] !== null) issues.warn(join(path, k), 'accepted for compatibility; not applied by this collector');
  }
  const cert = readPemSource(o, path, issues, 'cert_file', 'cert_pem', true);
  const key = readPemSource(o, path, issues, 'key_file', 'key_pem', true);
  const clientCa = readPemSource(o, path, issues, 'client_ca_file', 'client_ca_pem', false);
  const min = readEnum(o.min_version, join(path, 'min_version'), issues, VERSIONS, '1.2');
  const max = readEnum(o.max_version, join(path, 'max_version'), issues, VERSIONS, undefined);
  if (max !== undefined && VERSIONS.indexOf(max) < VERSIONS.indexOf(min)) {
    issues.error(join(path, 'max_version'), `must not be lower than min_version (${min})`);
  }
  if (!cert || !key) return undefined;
  return { cert, key, clientCa, minVersion: NODE_VERSION[min], maxVersion: max ? NODE_VERSION[max] : undefined };
}
