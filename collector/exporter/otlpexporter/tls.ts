/**
 * Client TLS settings with the Collector's names (configtls: `insecure`, `insecure_skip_verify`,
 * `ca_file`, `cert_file`, `key_file`, `server_name_override`; `ca_pem`/`cert_pem`/`key_pem` for
 * inline PEM), shared by the otlp and otlphttp exporters. Files are read while the config is
 * validated, so a wrong path stops start-up with its config path instead of failing at the
 * first export.
 */
import fs from 'node:fs';
import type { ConfigIssues } from '../../config/issues.js';
import { join, readBool, readObject, readString } from '../../config/validate.js';

export interface TlsClientConfig {
  /** gRPC only: plaintext instead of TLS (otelcol `tls.insecure`). */
  insecure: boolean;
  /** Do not verify the server's certificate (chain or name). For tests and emergencies. */
  insecureSkipVerify: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  serverNameOverride?: string;
  /** Whether the `tls` block was written at all (otlphttp: TLS settings on an http:// URL). */
  configured: boolean;
}

const TLS_KEYS = [
  'insecure', 'insecure_skip_verify', 'ca_file', 'cert_file', 'key_file', 'ca_pem', 'cert_pem', 'key_pem',
  'server_name_override', 'min_version', 'max_version', 'include_system_ca_certs_pool', 'reload_interval',
] as const;

function readPem(
  o: Record<string, unknown>,
  fileKey: string,
  pemKey: string,
  path: string,
  issues: ConfigIssues,
): Buffer | undefined {
  const file = readString(o[fileKey], join(path, fileKey), issues, undefined, { nonEmpty: true });
  const pem = readString(o[pemKey], join(path, pemKey), issues, undefined, { nonEmpty: true });
  if (file !== undefined && pem !== undefined) {
    issues.error(join(path, pemKey), `set either ${fileKey} or ${pemKey}, not both`);
  }
  if (pem !== undefined) return Buffer.from(pem);
  if (file === undefined) return undefined;
  try {
    const buf = fs.readFileSync(file);
    if (!buf.toString('latin1').includes('-----BEGIN')) {
      issues.error(join(path, fileKey), `${file} is not a PEM file`);
      return undefined;
    }
    return buf;
  } catch (e) {
    issues.error(join(path, fileKey), `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return undefined;
  }
}

export function readTlsClientConfig(raw: unknown, path: string, issues: ConfigIssues): TlsClientConfig {
  const o = readObject(raw, path, issues, TLS_KEYS);
  const cfg: TlsClientConfig = {
    insecure: readBool(o.insecure, join(path, 'insecure'), issues, false),
    insecureSkipVerify: readBool(o.insecure_skip_verify, join(path, 'insecure_skip_verify'), issues, false),
    ca: readPem(o, 'ca_file', 'ca_pem', path, issues),
    cert: readPem(o, 'cert_file', 'cert_pem', path, issues),
    key: readPem(o, 'key_file', 'key_pem', path, issues),
    serverNameOverride: readString(o.server_name_override, join(path, 'server_name_override'), issues, undefined, { nonEmpty: true }),
    configured: raw !== undefined && raw !== null,
  };
  if ((cfg.cert === undefined) !== (cfg.key === undefined)) {
    issues.error(path, 'a client certificate needs both cert_file and key_file');
  }
  for (const k of ['min_version', 'max_version', 'include_system_ca_certs_pool', 'reload_interval'] as const) {
    if (o[k] !== undefined) issues.warn(join(path, k), 'not supported and ignored (Node.js defaults apply: TLS 1.2+)');
  }
  return cfg;
}
