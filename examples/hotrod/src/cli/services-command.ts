import { type Command, InvalidArgumentError, Option } from 'commander';
import { defaultTuning, type ServiceTuning, validateTuning } from '../config.js';
import { Telemetry } from '../services/common/telemetry.js';
import { defaultAddresses, type ServiceAddresses, type ServiceName, startServices } from '../services/run.js';
import { parseGoDurationMs } from './go-duration-flag.js';

export function port(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new InvalidArgumentError(`${name} must be a port number (0–65535)`);
    return n;
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** The original's flags (fix flags, hostnames, ports, UI address), on a service command. */
export function addServiceFlags(cmd: Command): Command {
  const d = defaultAddresses();
  return cmd
    .option(
      '-D, --fix-db-query-delay <duration>',
      'average latency of the mysql query',
      parseGoDurationMs,
      300,
    )
    .option('-M, --fix-disable-db-conn-mutex', 'disable the mutex guarding the db connection', false)
    .option('-W, --fix-route-worker-pool-size <n>', 'size of the route worker pool', positiveInt, 3)
    .option('--customer-service-hostname <host>', 'customer host', d.customer.host)
    .option('--driver-service-hostname <host>', 'driver host', d.driver.host)
    .option('--frontend-service-hostname <host>', 'frontend host', d.frontend.host)
    .option('--route-service-hostname <host>', 'route host', d.route.host)
    .option(
      '-c, --customer-service-port <port>',
      'customer port',
      port('--customer-service-port'),
      d.customer.port,
    )
    .option('-d, --driver-service-port <port>', 'driver port', port('--driver-service-port'), d.driver.port)
    .option(
      '-f, --frontend-service-port <port>',
      'frontend port',
      port('--frontend-service-port'),
      d.frontend.port,
    )
    .option('-r, --route-service-port <port>', 'route port', port('--route-service-port'), d.route.port)
    .option(
      '-j, --jaeger-ui <url>',
      'trace UI for the page\'s "find trace" / "open trace" links',
      'http://127.0.0.1:16686',
    )
    .addOption(
      new Option('--otlp-endpoint <url>', 'OTLP/HTTP endpoint of the collector').env(
        'OTEL_EXPORTER_OTLP_ENDPOINT',
      ),
    )
    .addOption(
      new Option('--otlp-protocol <protocol>', 'OTLP protocol').choices(['http/protobuf', 'http/json']),
    );
}

export interface ServiceFlags {
  fixDbQueryDelay: number;
  fixDisableDbConnMutex: boolean;
  fixRouteWorkerPoolSize: number;
  customerServiceHostname: string;
  driverServiceHostname: string;
  frontendServiceHostname: string;
  routeServiceHostname: string;
  customerServicePort: number;
  driverServicePort: number;
  frontendServicePort: number;
  routeServicePort: number;
  jaegerUi: string;
  otlpEndpoint?: string;
  otlpProtocol?: 'http/protobuf' | 'http/json';
}

export function tuningFromFlags(f: ServiceFlags): Readonly<ServiceTuning> {
  return validateTuning({
    ...defaultTuning(),
    mysqlGetDelayMs: f.fixDbQueryDelay,
    mysqlMutexDisabled: f.fixDisableDbConnMutex,
    routeWorkerPoolSize: f.fixRouteWorkerPoolSize,
  });
}

export function addressesFromFlags(f: ServiceFlags): ServiceAddresses {
  return {
    frontend: { host: f.frontendServiceHostname, port: f.frontendServicePort },
    customer: { host: f.customerServiceHostname, port: f.customerServicePort },
    driver: { host: f.driverServiceHostname, port: f.driverServicePort },
    route: { host: f.routeServiceHostname, port: f.routeServicePort },
  };
}

/**
 * Runs services in this process until SIGTERM/SIGINT: then stops accepting at once (as a naive
 * app does when its pod is deleted), lets requests in flight finish, exports the last spans and
 * exits. Prints `<service> listening on http://host:port` per service.
 */
export async function runServices(services: readonly ServiceName[], flags: ServiceFlags): Promise<void> {
  const tuning = tuningFromFlags(flags);
  const telemetry = new Telemetry({
    ...(flags.otlpEndpoint ? { endpoint: flags.otlpEndpoint } : {}),
    ...(flags.otlpProtocol ? { protocol: flags.otlpProtocol } : {}),
  });
  const addresses = addressesFromFlags(flags);
  const running = await startServices({ services, addresses, telemetry, tuning, uiUrl: flags.jaegerUi });
  for (const name of services) {
    const a = addresses[name];
    const scheme = name === 'driver' ? 'grpc' : 'http';
    process.stdout.write(`${name} listening on ${scheme}://${a.host}:${running.ports[name]}\n`);
  }
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    await running.close();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
