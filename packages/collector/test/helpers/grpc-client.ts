import * as grpc from '@grpc/grpc-js';
import { TRACE_SERVICE_EXPORT_PATH } from '../../src/receivers/otlp-grpc/index.js';

export interface GrpcResult {
  error?: grpc.ServiceError;
  response?: Buffer;
}

/** One raw TraceService/Export call (body already protobuf-encoded). */
export function grpcExport(
  address: string,
  body: Buffer,
  options: { credentials?: grpc.ChannelCredentials; metadata?: Record<string, string> } = {},
): Promise<GrpcResult> {
  const client = new grpc.Client(address, options.credentials ?? grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(options.metadata ?? {})) md.set(k, v);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      TRACE_SERVICE_EXPORT_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      md,
      { deadline: Date.now() + 10_000 },
      (error, response) => {
        client.close();
        resolve({ error: error ?? undefined, response });
      },
    );
  });
}
