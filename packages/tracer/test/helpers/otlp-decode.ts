import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// The OTLP schema written out for tests (repository root, test/fixtures/otlp): a decoder independent of ours.
const ExportTraceServiceRequest = protobuf
  .loadSync(fileURLToPath(new URL('../../../../test/fixtures/otlp/trace-service.proto', import.meta.url)))
  .lookupType('opentelemetry.proto.ExportTraceServiceRequest');

/** An OTLP/protobuf `ExportTraceServiceRequest` body as a plain object (64-bit numbers as numbers). */
// biome-ignore lint/suspicious/noExplicitAny: the decoded message is checked field by field by the tests
export function decodeTraceRequest(body: Uint8Array): any {
  return ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { longs: Number });
}

/** Bytes as lowercase hex (ids). */
export const hex = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : Buffer.from(b).toString('hex');

export interface KV {
  key: string;
  value: Record<string, unknown>;
}

/** OTLP key/values as a plain object of their scalar values. */
export const attrs = (list: KV[] | undefined) =>
  Object.fromEntries(
    (list ?? []).map((kv) => [
      kv.key,
      kv.value.stringValue ??
        kv.value.intValue ??
        kv.value.boolValue ??
        kv.value.doubleValue ??
        (kv.value.arrayValue as { values?: Record<string, unknown>[] } | undefined)?.values?.map(
          (v) => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue,
        ),
    ]),
  );
