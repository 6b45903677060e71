import * as grpc from '@grpc/grpc-js';
import type { TracesConsumer } from '../../consumer.js';
import type { CollectorMetrics } from '../../metrics/index.js';
import {
  decodeTracesProtobuf,
  encodeResponseProtobuf,
  encodeRetryStatus,
  exportTraces,
} from '../otlp/index.js';

export const GRPC_RECEIVER_NAME = 'otlp-grpc';

export const TRACE_SERVICE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/**
 * opentelemetry.proto.collector.trace.v1.TraceService. Requests stay raw Buffers through grpc-js
 * so that a malformed message becomes INVALID_ARGUMENT from our decoder (grpc-js would answer
 * INTERNAL for a throwing deserializer).
 */
export const traceServiceDefinition: grpc.ServiceDefinition = {
  Export: {
    path: TRACE_SERVICE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

export interface OtlpGrpcReceiverOptions {
  pipeline: TracesConsumer;
  retryAfterSeconds: number;
  metrics?: CollectorMetrics;
  /** Called per call before decoding; returns an error status to refuse it (auth). */
  authorize?: (
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
  ) => { code: grpc.status; details: string } | undefined;
}

function retryMetadata(code: grpc.status, message: string, seconds: number): grpc.Metadata {
  // google.rpc.RetryInfo in grpc-status-details-bin, as the OTLP spec asks for retryable refusals;
  // `retry-after` too, for clients that read no rich status.
  const md = new grpc.Metadata();
  md.set('grpc-status-details-bin', Buffer.from(encodeRetryStatus(code, message, seconds)));
  md.set('retry-after', String(seconds));
  return md;
}

/** The unary Export handler: decode, run the pipeline, answer once the spans are durable. */
export function createExportHandler(options: OtlpGrpcReceiverOptions): grpc.handleUnaryCall<Buffer, Buffer> {
  const { pipeline, retryAfterSeconds, metrics, authorize } = options;
  return (call, rawCallback) => {
    const callback: grpc.sendUnaryData<Buffer> = (err, value) => {
      const code = err === null ? grpc.status.OK : (err.code ?? grpc.status.UNKNOWN);
      metrics?.requests.inc({ receiver: GRPC_RECEIVER_NAME, code: grpc.status[code] ?? String(code) });
      rawCallback(err, value);
    };
    const refusal = authorize?.(call);
    if (refusal !== undefined) {
      callback({ code: refusal.code, details: refusal.details });
      return;
    }
    const decoded = decodeTracesProtobuf(call.request);
    exportTraces(decoded, pipeline, GRPC_RECEIVER_NAME, metrics).then((outcome) => {
      if (outcome.ok) {
        callback(null, Buffer.from(encodeResponseProtobuf(outcome.partial)));
        return;
      }
      const e = outcome.error;
      if (e.statusCode === 429 || e.statusCode === 503) {
        // OTLP/gRPC: RESOURCE_EXHAUSTED is retryable only with RetryInfo; UNAVAILABLE always is.
        const code = e.statusCode === 429 ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.UNAVAILABLE;
        callback({
          code,
          details: e.message,
          metadata: retryMetadata(code, e.message, e.retryAfterSeconds ?? retryAfterSeconds),
        });
      } else if (e.statusCode === 413) {
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: e.message });
      } else if (e.statusCode === 401) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: e.message });
      } else if (e.statusCode === 403) {
        callback({ code: grpc.status.PERMISSION_DENIED, details: e.message });
      } else if (e.statusCode >= 400 && e.statusCode < 500) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: e.message });
      } else {
        callback({ code: grpc.status.INTERNAL, details: 'internal error' });
      }
    });
  };
}

export interface GrpcServerHandle {
  server: grpc.Server;
  /** Binds and resolves with the port. */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting calls, lets running ones finish (forced after `timeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
}

export interface GrpcServerOptions extends OtlpGrpcReceiverOptions {
  maxReceiveMessageBytes: number;
  credentials?: grpc.ServerCredentials;
}

/**
 * An OTLP/gRPC server (TraceService/Export) on @grpc/grpc-js.
 *
 * @example
 * const grpcServer = createOtlpGrpcServer({ pipeline, retryAfterSeconds: 1, maxReceiveMessageBytes: 64 << 20 });
 * const port = await grpcServer.listen('127.0.0.1', 0);
 */
export function createOtlpGrpcServer(options: GrpcServerOptions): GrpcServerHandle {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
  });
  server.addService(traceServiceDefinition, { Export: createExportHandler(options) });
  const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();
  return {
    server,
    listen(host: string, port: number): Promise<number> {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, credentials, (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
      });
    },
    close(timeoutMs = 10_000): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
