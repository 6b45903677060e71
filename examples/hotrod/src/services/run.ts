import type { ServiceTuning } from '../config.js';
import type { RunningServer } from './common/http-server.js';
import type { Telemetry } from './common/telemetry.js';
import { startCustomer } from './customer/server.js';
import { startDriver } from './driver/server.js';
import { startFrontend } from './frontend/server.js';
import { startRoute } from './route/server.js';

/** The four processes of the original (`mysql` and `redis-manual` live inside customer and driver). */
export const SERVICE_NAMES = ['frontend', 'customer', 'driver', 'route'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Where each service listens (and where the frontend finds the others). */
export interface ServiceAddresses {
  frontend: { host: string; port: number };
  customer: { host: string; port: number };
  driver: { host: string; port: number };
  route: { host: string; port: number };
}

/** The original's ports: frontend 8080, customer 8081, driver 8082, route 8083. */
export function defaultAddresses(host = '127.0.0.1'): ServiceAddresses {
  return {
    frontend: { host, port: 8080 },
    customer: { host, port: 8081 },
    driver: { host, port: 8082 },
    route: { host, port: 8083 },
  };
}

/** Every service on `host`, each on a port the system picks (tests, benchmarks). */
export function anyPortAddresses(host = '127.0.0.1'): ServiceAddresses {
  return {
    frontend: { host, port: 0 },
    customer: { host, port: 0 },
    driver: { host, port: 0 },
    route: { host, port: 0 },
  };
}

/** Options of {@link startServices}. */
export interface StartServicesOptions {
  services: readonly ServiceName[];
  addresses: ServiceAddresses;
  telemetry: Telemetry;
  tuning: Readonly<ServiceTuning>;
  /** The trace UI the page links to. */
  uiUrl: string;
}

/** Running services, in start order; `ports` holds the ports actually bound (port 0 picks one). */
export interface RunningServices {
  readonly ports: Partial<Record<ServiceName, number>>;
  close(): Promise<void>;
}

/**
 * Starts the given services in this process, backends first (so the frontend finds them), as
 * the original's `all` command does.
 *
 * @param options - which services, where, their instrumentation and simulated costs
 * @example
 * const telemetry = new Telemetry({ endpoint: 'http://127.0.0.1:4318' });
 * const running = await startServices({
 *   services: SERVICE_NAMES, addresses: defaultAddresses(), telemetry,
 *   tuning: defaultTuning(), uiUrl: 'http://127.0.0.1:16686',
 * });
 */
export async function startServices(options: StartServicesOptions): Promise<RunningServices> {
  const { telemetry, tuning } = options;
  const addresses = structuredClone(options.addresses);
  const running: RunningServer[] = [];
  const ports: Partial<Record<ServiceName, number>> = {};
  const order: ServiceName[] = ['customer', 'driver', 'route', 'frontend'];
  try {
    for (const name of order) {
      if (!options.services.includes(name)) continue;
      const at = addresses[name];
      let server: RunningServer;
      if (name === 'customer') server = await startCustomer({ ...at, telemetry, tuning });
      else if (name === 'driver') server = await startDriver({ ...at, telemetry, tuning });
      else if (name === 'route') server = await startRoute({ ...at, telemetry, tuning });
      else
        server = await startFrontend({
          ...at,
          telemetry,
          tuning,
          customer: addresses.customer,
          driver: addresses.driver,
          route: addresses.route,
          uiUrl: options.uiUrl,
        });
      addresses[name].port = server.port;
      ports[name] = server.port;
      running.push(server);
    }
  } catch (err) {
    await Promise.all(running.map((s) => s.close()));
    throw err;
  }
  return {
    ports,
    close: async () => {
      for (const s of running.reverse()) await s.close();
    },
  };
}
