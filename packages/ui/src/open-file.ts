// A trace from a file: Jaeger JSON (as jaeger-ui downloads it, or the /api/traces envelope) or
// OTLP/JSON (TracesData, an export request, or /api/v3's `{result}`).
import { isJaegerDocument, spansFromJaeger } from './model/from-jaeger.js';
import { isOtlpDocument, spansFromOtlp } from './model/from-otlp.js';
import { normalizeTrace, splitByTrace } from './model/normalize.js';
import type { RawSpan, Trace } from './model/types.js';

export function tracesFromDocument(doc: unknown): Trace[] {
  let spans: RawSpan[];
  if (isOtlpDocument(doc)) spans = spansFromOtlp(doc);
  else if (isJaegerDocument(doc)) spans = spansFromJaeger(doc);
  else throw new Error('not a trace: expected Jaeger JSON or OTLP/JSON');
  const out: Trace[] = [];
  for (const [id, list] of splitByTrace(spans)) out.push(normalizeTrace(list, id));
  if (out.length === 0) throw new Error('the file holds no spans');
  return out;
}

export async function tracesFromFile(file: File): Promise<Trace[]> {
  const text = await file.text();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file.name} is not JSON: ${(e as Error).message}`);
  }
  return tracesFromDocument(doc);
}
