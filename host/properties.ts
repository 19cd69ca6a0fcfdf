/**
 * Properties the way Envoy serves them to proxy_get_property (FACTS.md §1, Envoy
 * attributes): the path is a list of segments joined by NUL; Envoy's attribute `xds.node`
 * is the path `xds\0node`, its field `id` the path `xds\0node\0id`. Values are serialised by
 * type: strings/bytes raw, integers 8-byte little-endian, timestamps/durations int64
 * nanoseconds, doubles 8-byte IEEE, booleans one byte, a map of strings in the header-map wire
 * format. A path that does not exist is NOT_FOUND.
 *
 * Configuration: an object whose keys are attribute names in dotted form ('xds.cluster_name',
 * 'request.id', 'listener_direction') or NUL-joined paths; nested plain objects are messages /
 * structs whose fields are resolved by further segments ('xds.node': {id, metadata: {NAME}}).
 * Read whole, `xds.node` (and the old `node`) is the protobuf envoy.config.core.v3.Node, and any
 * other object is a CEL map: the header-map wire format, each value serialised in turn.
 */
import { marshalPairs, type BytePair } from './pairs.js';
import { encodeNode, NodeEncodeError } from './node-message.js';

export type TypedProperty =
  | { $type: 'string'; value: string }
  | { $type: 'bytes'; value: Uint8Array }
  | { $type: 'int64' | 'uint64'; value: bigint | number }
  | { $type: 'double'; value: number }
  | { $type: 'bool'; value: boolean }
  | { $type: 'timestamp'; value: Date | bigint }
  | { $type: 'duration'; value: bigint };

export type PropertyValue = string | Uint8Array | bigint | number | boolean | Date | TypedProperty | PropertyTree;
export interface PropertyTree { [key: string]: PropertyValue | undefined }

export type PropertyLookup =
  | { status: 'ok'; bytes: Buffer }
  | { status: 'not_found' }
  | { status: 'serialization_failure'; reason: string };

const isTyped = (v: unknown): v is TypedProperty => typeof v === 'object' && v !== null && '$type' in v;
const isTree = (v: unknown): v is PropertyTree =>
  typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Date) && !isTyped(v);

function int64(v: bigint | number, unsigned = false): Buffer {
  const b = Buffer.alloc(8);
  const big = BigInt(v);
  if (unsigned) b.writeBigUInt64LE(BigInt.asUintN(64, big)); else b.writeBigInt64LE(BigInt.asIntN(64, big));
  return b;
}

/** Serialises one leaf value the way Envoy's serializeValue does. */
export type LeafValue = string | Uint8Array | bigint | number | boolean | Date | TypedProperty;

export function serializeProperty(v: LeafValue): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'bigint') return int64(v);
  if (typeof v === 'boolean') return Buffer.from([v ? 1 : 0]);
  if (v instanceof Date) return int64(BigInt(v.getTime()) * 1_000_000n);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return int64(v);
    const b = Buffer.alloc(8); b.writeDoubleLE(v); return b;
  }
  switch (v.$type) {
    case 'string': return Buffer.from(v.value, 'utf8');
    case 'bytes': return Buffer.from(v.value);
    case 'int64': return int64(v.value);
    case 'uint64': return int64(v.value, true);
    case 'double': { const b = Buffer.alloc(8); b.writeDoubleLE(v.value); return b; }
    case 'bool': return Buffer.from([v.value ? 1 : 0]);
    case 'timestamp': return int64(v.value instanceof Date ? BigInt(v.value.getTime()) * 1_000_000n : v.value);
    case 'duration': return int64(v.value);
  }
}

/** Splits a configuration key into path segments: NUL-joined, else dotted attribute name. */
export function keySegments(key: string): string[] {
  return key.includes('\0') ? key.split('\0') : key.split('.');
}

/** Builds the property tree from configuration objects (later ones override earlier ones). */
export function buildPropertyTree(...sources: Array<Record<string, PropertyValue | undefined> | undefined>): PropertyTree {
  const root: PropertyTree = {};
  for (const source of sources) {
    if (!source) continue;
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined) continue;
      const segs = keySegments(key);
      let node = root;
      for (const seg of segs.slice(0, -1)) {
        const next = node[seg];
        // copy the level on the way down: a subtree may belong to another source (the host's
        // base properties), which a per-request property must not change
        node[seg] = isTree(next) ? { ...next } : {};
        node = node[seg] as PropertyTree;
      }
      const last = segs[segs.length - 1]!;
      const existing = node[last];
      node[last] = isTree(existing) && isTree(value) ? mergeTrees(existing, value) : value;
    }
  }
  return root;
}

function mergeTrees(a: PropertyTree, b: PropertyTree): PropertyTree {
  const out: PropertyTree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const e = out[k];
    out[k] = isTree(e) && isTree(v) ? mergeTrees(e, v) : v;
  }
  return out;
}

// Whole-message attributes: Envoy returns a message's protobuf serialisation (serializeValue,
// kMessage). The node is the one message a host configuration describes.
const MESSAGE_ENCODERS: Record<string, (tree: PropertyTree) => Buffer> = {
  'xds\0node': encodeNode,
  node: encodeNode,
};

/**
 * Envoy's serializeValue for a value the tree holds: a leaf by its type; a plain object is a CEL
 * map, serialised in the header-map wire format with every value serialised the same way.
 */
function serializeTree(node: PropertyTree): Buffer {
  const pairs: BytePair[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (v === undefined) continue;
    pairs.push([Buffer.from(k), isTree(v) ? serializeTree(v) : serializeProperty(v as LeafValue)]);
  }
  return marshalPairs(pairs);
}

/** Resolves a NUL-joined path against the tree. */
export function lookupProperty(tree: PropertyTree, path: string): PropertyLookup {
  const segs = path.split('\0');
  let node: PropertyValue | undefined = tree;
  for (const seg of segs) {
    if (!isTree(node) || !Object.hasOwn(node, seg)) return { status: 'not_found' };
    node = (node as PropertyTree)[seg];
    if (node === undefined) return { status: 'not_found' };
  }
  if (!isTree(node)) return { status: 'ok', bytes: serializeProperty(node as LeafValue) };
  const encodeMessage = MESSAGE_ENCODERS[path];
  if (encodeMessage) {
    try {
      return { status: 'ok', bytes: encodeMessage(node) };
    } catch (e) {
      if (e instanceof NodeEncodeError) return { status: 'serialization_failure', reason: e.message };
      throw e;
    }
  }
  return { status: 'ok', bytes: serializeTree(node) };
}
