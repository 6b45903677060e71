export type { GrpcServerHandle, GrpcServerOptions, OtlpGrpcReceiverOptions } from './otlp-grpc-receiver.js';
export {
  createExportHandler,
  createOtlpGrpcServer,
  GRPC_RECEIVER_NAME,
  TRACE_SERVICE_EXPORT_PATH,
  traceServiceDefinition,
} from './otlp-grpc-receiver.js';
