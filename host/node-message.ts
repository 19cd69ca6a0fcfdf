/**
 * The proxy's node (`xds.node`, before Envoy 1.33 `node`) is an envoy.config.core.v3.Node
 * message. Envoy serialises a whole message property as its protobuf bytes
 * (context.cc serializeValue, kMessage: SerializeToString), so reading `xds.node` whole returns
 * them; its fields are read with longer paths (`xds.node.id`). This encodes the fields a host
 * configuration gives (id, cluster, metadata as google.protobuf.Struct, user agent) with
 * protobufjs and refuses any other field by name.
 */
import protobuf from 'protobufjs';

const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/struct.proto') as protobuf.INamespace);
root.add(new protobuf.Type('Node')
  .add(new protobuf.Field('id', 1, 'string'))
  .add(new protobuf.Field('cluster', 2, 'string'))
  .add(new protobuf.Field('metadata', 3, 'google.protobuf.Struct'))
  .add(new protobuf.Field('userAgentName', 6, 'string'))
  .add(new protobuf.Field('userAgentVersion', 7, 'string')));
const NodeType = root.lookupType('Node');
const StructType = root.lookupType('google.protobuf.Struct');

/** Node fields as a host configuration writes them (JSON names of envoy.config.core.v3.Node). */
const NODE_FIELDS: Record<string, string> = {
  id: 'id', cluster: 'cluster', metadata: 'metadata', user_agent_name: 'userAgentName', userAgentName: 'userAgentName',
  user_agent_version: 'userAgentVersion', userAgentVersion: 'userAgentVersion',
};

export class NodeEncodeError extends Error {}

/** google.protobuf.Value in protobufjs' object form, from a plain JS value. */
function structValue(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'bigint') return { numberValue: Number(v) };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(structValue) } };
  if (typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date)) {
    return { structValue: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structValue(x)])) } };
  }
  throw new NodeEncodeError(`a metadata value of type ${v instanceof Date ? 'Date' : typeof v} has no google.protobuf.Value form`);
}

/** Protobuf bytes of the Node described by `tree` (throws NodeEncodeError for an unknown field). */
export function encodeNode(tree: Record<string, unknown>): Buffer {
  const object: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (value === undefined) continue;
    const field = NODE_FIELDS[key];
    if (!field) throw new NodeEncodeError(`xds.node field '${key}' is not one the host can encode (id, cluster, metadata, user_agent_name, user_agent_version)`);
    if (field === 'metadata') {
      if (typeof value !== 'object' || value === null) throw new NodeEncodeError('xds.node.metadata must be an object');
      object.metadata = StructType.fromObject(structValue(value).structValue as object);
    } else {
      if (typeof value !== 'string') throw new NodeEncodeError(`xds.node.${key} must be a string`);
      object[field] = value;
    }
  }
  return Buffer.from(NodeType.encode(NodeType.fromObject(object)).finish());
}

/** Decodes Node bytes (for tests and tools). */
export function decodeNode(bytes: Uint8Array): Record<string, unknown> {
  return NodeType.toObject(NodeType.decode(bytes), { defaults: false }) as Record<string, unknown>;
}
