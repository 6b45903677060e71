import * as grpc from '@grpc/grpc-js';
import type { Telemetry } from '../common/telemetry.js';
import { clientTracingInterceptor } from './grpc-tracing.js';
import {
  type DriverLocation,
  type DriverLocationRequest,
  type DriverLocationResponse,
  loadDriverService,
} from './proto.js';

/** The original's deadline for `FindNearest`. */
export const FIND_NEAREST_TIMEOUT_MS = 1000;

type FindNearestFn = (
  request: DriverLocationRequest,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: DriverLocationResponse) => void,
) => grpc.ClientUnaryCall;

/** The frontend's gRPC client of the driver service, traced as `driver.DriverService/FindNearest`. */
export class DriverClient {
  private readonly client: grpc.Client & { FindNearest: FindNearestFn };

  constructor(host: string, port: number, telemetry: Telemetry, serviceName = 'frontend') {
    const Client = loadDriverService();
    const propagator = telemetry.propagator(serviceName);
    const interceptors =
      propagator === undefined
        ? []
        : [clientTracingInterceptor(telemetry.otel(serviceName), propagator, { host, port })];
    this.client = new Client(`${host}:${port}`, grpc.credentials.createInsecure(), {
      interceptors,
    }) as unknown as grpc.Client & { FindNearest: FindNearestFn };
  }

  findNearest(location: string): Promise<DriverLocation[]> {
    return new Promise((resolve, reject) => {
      this.client.FindNearest(
        { location },
        { deadline: Date.now() + FIND_NEAREST_TIMEOUT_MS },
        (err, response) => (err ? reject(err) : resolve(response?.locations ?? [])),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
