import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** `proto/driver.proto` (beside src/ and dist/, so the same path works from both). */
export const DRIVER_PROTO = fileURLToPath(new URL('../../../proto/driver.proto', import.meta.url));

/** The gRPC service name, as in traces (`driver.DriverService/FindNearest`). */
export const DRIVER_SERVICE = 'driver.DriverService';

export interface DriverLocationRequest {
  location: string;
}
export interface DriverLocation {
  driverID: string;
  location: string;
}
export interface DriverLocationResponse {
  locations: DriverLocation[];
}

/** The generic client constructor and service definition of `driver.DriverService`. */
export function loadDriverService(): grpc.ServiceClientConstructor {
  const definition = loadSync(DRIVER_PROTO, { keepCase: true, defaults: true, arrays: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    driver: { DriverService: grpc.ServiceClientConstructor };
  };
  return pkg.driver.DriverService;
}
