// The opentelemetry-proto messages, loaded by protobufjs from the repository's written-out schema
// (test/fixtures/otlp/trace-service.proto): an independent encoder/decoder to check ours against.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

interface MessageType {
  encode(message: unknown): { finish(): Uint8Array };
  decode(buf: Uint8Array): unknown;
  fromObject(o: unknown): unknown;
  toObject(m: unknown, opts?: unknown): Record<string, unknown>;
}

const schema = fileURLToPath(new URL('../../../../test/fixtures/otlp/trace-service.proto', import.meta.url));
const root = protobuf.loadSync(schema);

export const ExportTraceServiceRequest = root.lookupType(
  'opentelemetry.proto.ExportTraceServiceRequest',
) as unknown as MessageType;
export const ExportTraceServiceResponse = root.lookupType(
  'opentelemetry.proto.ExportTraceServiceResponse',
) as unknown as MessageType;

/** Encodes a request given in the generated classes' object form (bytes as Buffer). */
export function encodeRequest(o: unknown): Buffer {
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(o)).finish());
}

export function decodeResponse(buf: Uint8Array): Record<string, unknown> {
  return ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(buf), { longs: String });
}
