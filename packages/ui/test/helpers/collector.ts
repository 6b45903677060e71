// A collector built in-process (memory store, ports 0) serving the built UI, seeded through its
// receivers.
import { existsSync } from 'node:fs';
import { type BuildOptions, build, type Collector } from '@crosstrace/collector';

export const UI_DIST = new URL('../../dist/', import.meta.url).pathname;

export interface RunningCollector {
  collector: Collector;
  queryUrl: string;
  otlpUrl: string;
  close(): Promise<void>;
}

export async function startCollector(opts: BuildOptions = {}): Promise<RunningCollector> {
  if (!existsSync(`${UI_DIST}index.html`))
    throw new Error(`the UI is not built (${UI_DIST}index.html missing): run \`pnpm build\` first`);
  const collector = await build({
    storage: 'memory',
    otlpHttpPort: 0,
    otlpGrpcPort: -1,
    queryPort: 0,
    logLevel: 'warn',
    uiDir: UI_DIST,
    ...opts,
  });
  const ports = await collector.listen();
  const scheme = opts.tlsCert ? 'https' : 'http';
  return {
    collector,
    queryUrl: `${scheme}://127.0.0.1:${ports.queryPort}`,
    otlpUrl: `${scheme}://127.0.0.1:${ports.otlpHttpPort}`,
    close: () => collector.close(),
  };
}
