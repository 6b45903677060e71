// One benchmark subject in its own process: the four HotROD services (as the original's `all`),
// `traced` (crosstrace middleware, traced fetch, gRPC interceptors, OpenTracing and OpenTelemetry
// spans, batch export into an exporter that drops them) or `untraced` (no instrumentation at all).
// Every simulated latency is 0, the mysql lock is off and the route pool has 10 workers (the fix
// flags, plus zero redis and route delays), so what is measured is the handlers' own work.
// Prints `PORT <frontend> CPU <port>` when listening; on SIGTERM, `SPANS <n>`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { noDelayTuning } from '../src/config.js';
import { Telemetry } from '../src/services/common/telemetry.js';
import { anyPortAddresses, startServices } from '../src/services/run.js';

const variant = process.argv[2];
if (variant !== 'traced' && variant !== 'untraced') throw new Error(`unknown variant ${variant}`);

let exported = 0;
const discardExporter = {
  export(spans: unknown[], done: (r: { code: number }) => void): void {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown: (): Promise<void> => Promise.resolve(),
  forceFlush: (): Promise<void> => Promise.resolve(),
};

const telemetry = new Telemetry({
  enabled: variant === 'traced',
  exporter: discardExporter as never,
  exportDelayMs: 1000,
});
const host = '127.0.0.1';
const services = await startServices({
  services: ['frontend', 'customer', 'driver', 'route'],
  addresses: anyPortAddresses(host),
  telemetry,
  tuning: noDelayTuning(),
  uiUrl: 'http://127.0.0.1:16686',
});
// CPU time of this process, read before and after a run (outside the app: never traced)
const cpu = createServer((_req, res) => {
  const { user, system } = process.cpuUsage();
  res.end(JSON.stringify({ micros: user + system }));
});
cpu.listen(0, host, () => {
  process.stdout.write(`PORT ${services.ports.frontend} CPU ${(cpu.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', async () => {
  cpu.close();
  await services.close();
  await telemetry.flush();
  process.stdout.write(`SPANS ${exported}\n`);
  process.exit(0);
});
