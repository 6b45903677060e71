import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import type { ServiceTuning } from '../../config.js';
import { spanLog, type Telemetry } from '../common/telemetry.js';
import { traceUnary } from './grpc-tracing.js';
import {
  DRIVER_SERVICE,
  type DriverLocation,
  type DriverLocationRequest,
  type DriverLocationResponse,
  loadDriverService,
} from './proto.js';
import { Redis } from './redis.js';

/** Attempts per `GetDriver` before `FindNearest` fails. */
export const GET_DRIVER_ATTEMPTS = 3;

/** Options of {@link startDriver}. */
export interface DriverOptions {
  host: string;
  port: number;
  telemetry: Telemetry;
  tuning: Readonly<ServiceTuning>;
}

/** A running gRPC driver service. */
export interface RunningDriver {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `FindNearest(location)`: ten driver ids from redis, then each driver's record one after the
 * other, each `GetDriver` retried up to three times ("Retrying GetDriver after error").
 */
export async function findNearest(redis: Redis, location: string): Promise<DriverLocation[]> {
  const span = trace.getActiveSpan();
  if (span) spanLog(span, 'Searching for nearby drivers', { location });
  const ids = await redis.findDriverIds(span, location);
  const out: DriverLocation[] = [];
  for (const id of ids) {
    let lastError: unknown;
    let found: DriverLocation | undefined;
    for (let attempt = 1; attempt <= GET_DRIVER_ATTEMPTS && found === undefined; attempt++) {
      try {
        found = await redis.getDriver(span, id);
      } catch (err) {
        lastError = err;
        if (span)
          spanLog(span, 'Retrying GetDriver after error', { retry_no: attempt, error: String(err) }, 'error');
      }
    }
    if (found === undefined) {
      if (span)
        spanLog(span, `Failed to get driver after ${GET_DRIVER_ATTEMPTS} attempts`, {
          error: String(lastError),
        });
      throw lastError;
    }
    out.push(found);
  }
  if (span) spanLog(span, 'Search successful', { driver_count: out.length, locations: JSON.stringify(out) });
  return out;
}

/** Starts the driver service (gRPC, `driver.DriverService/FindNearest`). */
export async function startDriver(options: DriverOptions): Promise<RunningDriver> {
  const redis = new Redis(options.telemetry.ot('redis-manual'), options.tuning);
  const service = loadDriverService();
  const path = `/${DRIVER_SERVICE}/FindNearest`;
  const handler = (
    call: grpc.ServerUnaryCall<DriverLocationRequest, DriverLocationResponse>,
    callback: grpc.sendUnaryData<DriverLocationResponse>,
  ) => {
    findNearest(redis, call.request.location).then(
      (locations) => callback(null, { locations }),
      (err: Error) =>
        callback({ code: grpc.status.INTERNAL, details: err.message, name: err.name, message: err.message }),
    );
  };
  const propagator = options.telemetry.propagator('driver');
  const server = new grpc.Server();
  server.addService(service.service, {
    FindNearest:
      propagator === undefined
        ? handler
        : traceUnary(options.telemetry.otel('driver'), propagator, path, handler),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    host: options.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
