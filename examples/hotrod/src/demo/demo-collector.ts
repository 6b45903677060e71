import { join } from 'node:path';
import { build, type Collector } from '@crosstrace/collector';
import { ErrorCode, HotrodError } from '../errors.js';

/** The demo's collector, listening, with its base URLs. */
export interface DemoCollector {
  collector: Collector;
  /** OTLP/HTTP and the Kubernetes receivers. */
  otlp: string;
  /** The query API and the UI. */
  query: string;
}

/**
 * Starts a collector in this process with SQLite in `dir` (no gRPC receiver); a port in use is a
 * `CT_HOTROD_PORT_IN_USE` error naming the flags that move it.
 */
export async function startDemoCollector(opts: {
  dir: string;
  host: string;
  otlpPort: number;
  queryPort: number;
}): Promise<DemoCollector> {
  const collector = await build({
    storage: `sqlite:${join(opts.dir, 'crosstrace.db')}`,
    host: opts.host,
    otlpHttpPort: opts.otlpPort,
    otlpGrpcPort: -1,
    queryPort: opts.queryPort,
    logLevel: 'warn',
  });
  try {
    const ports = await collector.listen();
    return {
      collector,
      otlp: `http://${opts.host}:${ports.otlpHttpPort}`,
      query: `http://${opts.host}:${ports.queryPort}`,
    };
  } catch (err) {
    await collector.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new HotrodError(
        ErrorCode.PortInUse,
        `${(err as Error).message}; choose other ports with --query-port / --otlp-port`,
        { cause: err },
      );
    throw err;
  }
}
