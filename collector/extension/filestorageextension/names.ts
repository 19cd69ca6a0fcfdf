/**
 * File names of storage clients, as otelcol-contrib's filestorage names them:
 * `<kind>_<type>_<name>_<client name>`, e.g. `exporter_otlphttp_backend_traces` for the sending
 * queue of `otlphttp/backend`. Characters other than A-Z a-z 0-9 . - _ become `~` and their
 * Unicode number in 4 uppercase hex digits (`/` → `~002F`), `~` included, so a sanitised name
 * never collides with one that needed no sanitising.
 */
import type { ComponentKind } from '../../component/component.js';

export function sanitize(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/^[A-Za-z0-9._-]$/.test(ch)) out += ch;
    else out += `~${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

export function clientFileName(kind: ComponentKind, id: string, name: string): string {
  const slash = id.indexOf('/');
  const type = slash < 0 ? id : id.slice(0, slash);
  const compName = slash < 0 ? '' : id.slice(slash + 1);
  const parts = [kind, sanitize(type), sanitize(compName)];
  if (name !== '') parts.push(sanitize(name));
  return parts.join('_');
}
