/**
 * Text renderings of trace data for the debug exporter, after the Collector's: `normal` is one
 * line per span, `detailed` every field of every span with its attributes.
 */
import type { AnyValue, KeyValue, Nanos, TraceData } from '../../pdata/model.js';
import { idToHex, nanosToBigInt } from '../../pdata/model.js';

const KIND_NAMES = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_NAMES = ['Unset', 'Ok', 'Error'];

export function valueText(v: AnyValue | null | undefined): string {
  if (v == null) return 'Empty()';
  if (v.stringValue != null) return `Str(${v.stringValue})`;
  if (v.boolValue != null) return `Bool(${v.boolValue})`;
  if (v.intValue != null) return `Int(${v.intValue.toString()})`;
  if (v.doubleValue != null) return `Double(${v.doubleValue})`;
  if (v.arrayValue != null) return `Slice([${(v.arrayValue.values ?? []).map(valueText).join(', ')}])`;
  if (v.kvlistValue != null) return `Map({${(v.kvlistValue.values ?? []).map((kv) => `${kv.key}: ${valueText(kv.value)}`).join(', ')}})`;
  if (v.bytesValue != null) return `Bytes(${Buffer.from(v.bytesValue).toString('base64')})`;
  return 'Empty()';
}

function attrsBlock(title: string, attrs: readonly KeyValue[] | undefined | null, indent = ''): string {
  if (!attrs || attrs.length === 0) return '';
  let s = `${indent}${title}:\n`;
  for (const kv of attrs) s += `${indent}     -> ${kv.key}: ${valueText(kv.value)}\n`;
  return s;
}

function time(t: Nanos): string {
  const ns = nanosToBigInt(t);
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${frac} +0000 UTC`;
}

function attrsInline(attrs: readonly KeyValue[] | undefined | null): string {
  if (!attrs || attrs.length === 0) return '';
  return ' ' + attrs.map((kv) => `${kv.key}=${valueText(kv.value).replace(/^\w+\((.*)\)$/s, '$1')}`).join(' ');
}

export function formatNormal(td: TraceData): string {
  let out = '';
  td.resourceSpans.forEach((rs, i) => {
    out += `ResourceTraces #${i}${attrsInline(rs.resource?.attributes)}\n`;
    rs.scopeSpans.forEach((ss, j) => {
      out += `ScopeTraces #${j}${ss.scope?.name ? ` ${ss.scope.name}` : ''}${ss.scope?.version ? ` ${ss.scope.version}` : ''}\n`;
      for (const s of ss.spans) out += `${s.name} ${idToHex(s.traceId)} ${idToHex(s.spanId)}${attrsInline(s.attributes)}\n`;
    });
  });
  return out;
}

export function formatDetailed(td: TraceData): string {
  let out = '';
  td.resourceSpans.forEach((rs, i) => {
    out += `ResourceSpans #${i}\nResource SchemaURL: ${rs.schemaUrl ?? ''}\n`;
    out += attrsBlock('Resource attributes', rs.resource?.attributes);
    rs.scopeSpans.forEach((ss, j) => {
      out += `ScopeSpans #${j}\nScopeSpans SchemaURL: ${ss.schemaUrl ?? ''}\n`;
      out += `InstrumentationScope ${ss.scope?.name ?? ''} ${ss.scope?.version ?? ''}\n`;
      ss.spans.forEach((s, k) => {
        out += `Span #${k}\n`;
        out += `    Trace ID       : ${idToHex(s.traceId)}\n`;
        out += `    Parent ID      : ${idToHex(s.parentSpanId)}\n`;
        out += `    ID             : ${idToHex(s.spanId)}\n`;
        out += `    Name           : ${s.name}\n`;
        out += `    Kind           : ${KIND_NAMES[s.kind] ?? s.kind}\n`;
        out += `    Start time     : ${time(s.startTimeUnixNano)}\n`;
        out += `    End time       : ${time(s.endTimeUnixNano)}\n`;
        out += `    Status code    : ${STATUS_NAMES[s.status?.code ?? 0] ?? s.status?.code}\n`;
        out += `    Status message : ${s.status?.message ?? ''}\n`;
        out += attrsBlock('Attributes', s.attributes);
        (s.events ?? []).forEach((e, x) => {
          out += `Events:\nSpanEvent #${x}\n     -> Name: ${e.name}\n     -> Timestamp: ${time(e.timeUnixNano)}\n`;
          out += attrsBlock('     -> Attributes', e.attributes);
        });
        (s.links ?? []).forEach((l, x) => {
          out += `Links:\nSpanLink #${x}\n     -> Trace ID: ${idToHex(l.traceId)}\n     -> ID: ${idToHex(l.spanId)}\n`;
          out += attrsBlock('     -> Attributes', l.attributes);
        });
      });
    });
  });
  return out;
}
