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
import { scanJsonShape, type JsonShape } from '../../pdata/json-shape.js';
import { ProtoShapeError, scanTraceRequestShape, scanZipkinListShape, type ProtoShape } from '../../pdata/otlp-proto-shape.js';

export type BodyFormat = 'otlp-proto' | 'otlp-json' | 'zipkin-json' | 'zipkin-proto';

export interface RequestPlan {
  spans: number;
  /** Estimated bytes decoding allocates, the body itself included. */
  decodedBytes: number;
}

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

/** Reads a body's shape and estimates its decoding cost. Throws RequestShapeError. */
export function planRequest(format: BodyFormat, body: Uint8Array): RequestPlan {
  switch (format) {
    case 'otlp-json':
    case 'zipkin-json': {
      const maxDepth = MAX_JSON_DEPTH[format];
      const shape = scanJsonShape(body, maxDepth, format === 'otlp-json' ? 'spans-key' : 'top-level-array');
      if (shape.tooDeep) throw new RequestShapeError(`invalid JSON: nested deeper than ${maxDepth} levels`);
      return { spans: shape.spans, decodedBytes: jsonCost(body.length, shape, format === 'otlp-json' ? OTLP_JSON : ZIPKIN_JSON) };
    }
    case 'otlp-proto':
    case 'zipkin-proto': {
      let shape: ProtoShape;
      try {
        shape = format === 'otlp-proto' ? scanTraceRequestShape(body) : scanZipkinListShape(body);
      } catch (e) {
        if (e instanceof ProtoShapeError) throw new RequestShapeError(e.message);
        throw e;
      }
      const cost = format === 'otlp-proto' ? protoCost(body.length, shape, 150, 100) : protoCost(body.length, shape, 700, 3000);
      return { spans: shape.spans, decodedBytes: cost };
    }
  }
}
