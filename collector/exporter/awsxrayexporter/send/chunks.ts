/**
 * Splits documents into PutTraceSegments calls: at most 50 documents (the API's limit) and at
 * most a byte budget per call, so one call never approaches the service's request size limit
 * whatever the document sizes (50 × 64 KB would be 3.2 MB).
 */
export const MAX_DOCUMENTS_PER_CALL = 50;
/** Conservative per-request budget of body bytes. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Documents as the body carries them (escaped, translator/document-writer.ts). */
export function chunkDocuments<T extends { data: { length: number } }>(
  docs: readonly T[],
  maxDocs = MAX_DOCUMENTS_PER_CALL,
  maxBytes = MAX_REQUEST_BYTES,
): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let curBytes = 0;
  for (const d of docs) {
    // +3 per document: the JSON string quotes and comma around it in the request body.
    const b = d.data.length + 3;
    if (cur.length > 0 && (cur.length >= maxDocs || curBytes + b > maxBytes)) {
      out.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(d);
    curBytes += b;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
