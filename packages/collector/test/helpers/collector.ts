import { type BuildOptions, build, type Collector } from '../../src/index.js';

export interface Running {
  collector: Collector;
  otlpHttpUrl: string;
  otlpGrpcAddress: string;
  queryUrl: string;
  ports: { otlpHttpPort: number; otlpGrpcPort: number | undefined; queryPort: number };
}

/** A collector on 127.0.0.1 with free ports and an in-memory store unless told otherwise. */
export async function startCollector(options: BuildOptions = {}): Promise<Running> {
  const collector = await build({
    storage: 'memory',
    host: '127.0.0.1',
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    queryPort: 0,
    logLevel: 'silent',
    ...options,
  });
  const ports = await collector.listen();
  const scheme = options.tlsCert === undefined ? 'http' : 'https';
  return {
    collector,
    ports,
    otlpHttpUrl: `${scheme}://127.0.0.1:${ports.otlpHttpPort}/v1/traces`,
    otlpGrpcAddress: `127.0.0.1:${ports.otlpGrpcPort}`,
    queryUrl: `${scheme}://127.0.0.1:${ports.queryPort}`,
  };
}
