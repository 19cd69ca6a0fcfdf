/**
 * What a request body will cost once decoded, read from its shape before decoding
 * (pdata/json-shape.ts, pdata/otlp-proto-shape.ts): how many spans it carries and an estimate of
 * the memory its decoding allocates, so the receiver can refuse it (span cap, memory budget)
 * without building a single span.
 *
 * The estimate is the *total allocation* of decoding, an upper bound of the peak live memory:
 * the body, the JSON text and parse tree where there is one, the decoded model, and the
 * translation to OTLP for Zipkin. Its coefficients were measured (heap used + external before
 * and after decoding, with the young generation large enough that nothing was collected in
 * between) on Envoy-shaped requests and on adversarial ones (empty spans, `[{},…]`, deep arrays,
 * many small values), and rounded up:
 *
 *   format        per message/container  per scalar  per string byte  per span   measured
 *   OTLP proto    150                    –           2                100        6–8× body (Envoy), 100× (empty spans)
 *   OTLP JSON     200                    48          2                200        11× body (Envoy)
 *   Zipkin JSON   200                    80          2                1200       10× body (Envoy), 65× (minimal spans)
 *   Zipkin proto  700                    –           2                3000       25× body (Envoy)
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { JsonShapeScan, type JsonShape } from '../../pdata/json-shape.js';
import { ProtoShapeError, ProtoShapeScan, ROOT_TRACE_REQUEST, ROOT_ZIPKIN_LIST, type ProtoShape } from '../../pdata/otlp-proto-shape.js';

export type BodyFormat = 'otlp-proto' | 'otlp-json' | 'zipkin-json' | 'zipkin-proto';

export interface RequestPlan {
  /** Spans the body carries; undefined for a small body, counted once decoded. */
  spans: number | undefined;
  /** Estimated bytes decoding allocates, the body itself included. */
  decodedBytes: number;
}

/**
 * Bodies up to this size are not scanned: the scan costs 15-50 % of the native decoding it
 * guards (JSON.parse, protobufjs), while what such a body can cost is small whatever it holds,
 * so it is admitted at its worst case instead (WORST_CASE_PER_BYTE) and its spans are counted
 * once decoded. Nesting needs no scan there either: JSON.parse is iterative, protobufjs refuses
 * messages nested deeper than 100, and the decoders bound their own recursion. Envoy's batches
 * are a few KB to ~100 KB.
 */
export const SMALL_BODY = 128 * 1024;
/**
 * What decoding can allocate per byte of body at most (measured, rounded up): OTLP protobuf
 * empty spans (2 bytes each) 99×, empty events 52×; OTLP/JSON spans `{}` 214×; Zipkin JSON
 * minimal valid spans 56×, annotations `{}` 87×; Zipkin proto3 empty annotations 127×.
 */
export const WORST_CASE_PER_BYTE: Record<BodyFormat, number> = { 'otlp-proto': 128, 'otlp-json': 256, 'zipkin-json': 128, 'zipkin-proto': 160 };

/** JSON nesting allowed: OTLP/JSON nests 10 levels down to a value, plus 4 per nested kvlist (30). */
export const MAX_JSON_DEPTH: Record<'otlp-json' | 'zipkin-json', number> = { 'otlp-json': 160, 'zipkin-json': 64 };

/** The body cannot be decoded: too deep, or malformed protobuf. The receiver answers 400. */
export class RequestShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestShapeError';
  }
}

interface JsonCoefficients {
  container: number;
  scalar: number;
  stringByte: number;
  span: number;
}

const OTLP_JSON: JsonCoefficients = { container: 200, scalar: 48, stringByte: 2, span: 200 };
const ZIPKIN_JSON: JsonCoefficients = { container: 200, scalar: 80, stringByte: 2, span: 1200 };

function jsonCost(bodyBytes: number, s: JsonShape, k: JsonCoefficients): number {
  return bodyBytes * 2 + s.containers * k.container + s.scalars * k.scalar + s.stringBytes * k.stringByte + s.spans * k.span;
}

function protoCost(bodyBytes: number, s: ProtoShape, perMessage: number, perSpan: number): number {
  return bodyBytes + s.messages * perMessage + s.stringBytes * 2 + s.spans * perSpan;
}

/**
 * How much of a body is scanned before yielding to the event loop (a few milliseconds each), so
 * that a 20 MB body never holds it for the ~0.5 s a whole scan takes: health checks and other
 * requests go on in between.
 */
const JSON_SLICE_BYTES = 1 << 20;
const PROTO_SLICE_FIELDS = 1 << 17;

async function scanSliced(step: () => boolean): Promise<void> {
  while (!step()) await nextTurn();
}

/**
 * Reads a body's shape and estimates its decoding cost, yielding to the event loop between
 * slices of a large body. Rejects with RequestShapeError.
 */
export async function planRequest(format: BodyFormat, body: Uint8Array): Promise<RequestPlan> {
  if (body.length <= SMALL_BODY) return { spans: undefined, decodedBytes: body.length * WORST_CASE_PER_BYTE[format] };
  switch (format) {
    case 'otlp-json':
    case 'zipkin-json': {
      const maxDepth = MAX_JSON_DEPTH[format];
      const scan = new JsonShapeScan(body, maxDepth, format === 'otlp-json' ? 'spans-key' : 'top-level-array');
      await scanSliced(() => scan.step(JSON_SLICE_BYTES));
      const shape = scan.shape;
      if (shape.tooDeep) throw new RequestShapeError(`invalid JSON: nested deeper than ${maxDepth} levels`);
      return { spans: shape.spans, decodedBytes: jsonCost(body.length, shape, format === 'otlp-json' ? OTLP_JSON : ZIPKIN_JSON) };
    }
    case 'otlp-proto':
    case 'zipkin-proto': {
      const scan = new ProtoShapeScan(body, format === 'otlp-proto' ? ROOT_TRACE_REQUEST : ROOT_ZIPKIN_LIST);
      try {
        await scanSliced(() => scan.step(PROTO_SLICE_FIELDS));
      } catch (e) {
        if (e instanceof ProtoShapeError) throw new RequestShapeError(e.message);
        throw e;
      }
      const shape = scan.shape;
      const cost = format === 'otlp-proto' ? protoCost(body.length, shape, 150, 100) : protoCost(body.length, shape, 700, 3000);
      return { spans: shape.spans, decodedBytes: cost };
    }
  }
}
